// The help texts, in one renderer: `haproxy-cluster --help`, `COMMAND --help` and the
// generated manual pages (docs/cli/, `npm run docs`) all print what these return.

import { GLOBAL_HELP, type CommandSpec } from "./args";
import { COMMAND_NAMES, packageVersion, specFor } from "./registry";

/** `haproxy-cluster COMMAND --help`: the command's own text, then the options every command takes. */
export function commandHelp(spec: CommandSpec): string {
  return `${spec.usage}\n\n${GLOBAL_HELP}`;
}

/** `haproxy-cluster --help`. */
export function mainHelp(version: string = packageVersion()): string {
  const rows = COMMAND_NAMES.map((name) => `  ${name.padEnd(19)}${specFor(name)!.summary}`);
  return `haproxy-cluster ${version}: several HAProxy load balancers as one cluster.

Usage: haproxy-cluster COMMAND [OPTIONS] [MEMBER...]
       haproxy-cluster -e CODE [MEMBER...]

Commands:
${rows.join("\n")}

Run haproxy-cluster COMMAND --help for a command's options. Global options may come
anywhere; a command's own options come after it.

${GLOBAL_HELP}
  -e, --eval CODE             the same as the eval command

Environment: HAPROXY_CLUSTER_MEMBERS, HAPROXY_CLUSTER_USER, HAPROXY_CLUSTER_PASSWORD,
NO_COLOR (colour is used only when the output is a terminal).

Exit status (Nagios): 0 OK; 1 WARNING; 2 CRITICAL (not safe, or a deadline passed);
3 UNKNOWN (could not tell: bad arguments, a member unreachable or refusing, an
unknown backend or server).`;
}
