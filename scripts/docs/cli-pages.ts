// docs/cli/: one page per command with exactly what `COMMAND --help` prints (the same
// renderer, provider/cli/help.ts), and an index with the main help, exit codes and the
// errors behind each. Hand-written notes come from fragments/cli-<command>.md.

import { GLOBAL_OPTIONS, type CommandSpec } from "../../provider/cli/args";
import { Exit, STATE_NAMES, exitCodeFor, type ExitCode } from "../../provider/cli/exit";
import { commandHelp, mainHelp } from "../../provider/cli/help";
import { COMMAND_NAMES, specFor } from "../../provider/cli/registry";
import { errorCodeDocs } from "./error-codes-source";
import { fragment } from "./fragments";
import { banner, table } from "./markdown";

/** Options parsed but not shown in help (`--debug-modules`: a test hook). */
export const HIDDEN_OPTIONS: ReadonlySet<string> = new Set(["debug-modules"]);

export function commandSpecs(): CommandSpec[] {
  return COMMAND_NAMES.map((name) => specFor(name)!);
}

/** Where a command's spec lives, for the banner. */
function sourceOf(spec: CommandSpec): string {
  return `the \`${spec.name}\` CommandSpec (provider/cli/commands/)`;
}

export function commandPage(spec: CommandSpec): string {
  const extra = fragment(`cli-${spec.name}.md`);
  return [
    banner([sourceOf(spec), "provider/cli/help.ts", ...(extra ? [`scripts/docs/fragments/cli-${spec.name}.md`] : [])]),
    "",
    `# haproxy-cluster ${spec.name}`,
    "",
    `${spec.summary[0]!.toUpperCase()}${spec.summary.slice(1)}.`,
    "",
    "```text",
    `$ haproxy-cluster ${spec.name} --help`,
    commandHelp(spec),
    "```",
    "",
    ...(extra ? [extra.trimEnd(), ""] : []),
    "See also: [every command, members and exit codes](README.md), [error codes](../errors.md).",
    "",
  ].join("\n");
}

const EXIT_MEANINGS: Record<ExitCode, string> = {
  [Exit.OK]: "done, or safe",
  [Exit.WARNING]: "`check` only: fewer serving than `--warning`",
  [Exit.CRITICAL]: "not safe, a deadline passed, the capacity guard refused, or an analysis found a regression",
  [Exit.UNKNOWN]: "could not tell: bad arguments, a member unreachable or refusing, an unknown backend or server",
};

export function indexPage(): string {
  const specs = commandSpecs();
  const exits = (Object.keys(STATE_NAMES).map(Number) as ExitCode[]).map((code) => [String(code), STATE_NAMES[code], EXIT_MEANINGS[code]]);
  const guardCodes = errorCodeDocs().filter((e) => exitCodeFor(e.code) === Exit.CRITICAL).map((e) => `[\`${e.code}\`](../errors.md#${e.code.toLowerCase()})`);
  const globals = Object.keys(GLOBAL_OPTIONS).filter((o) => !HIDDEN_OPTIONS.has(o));
  return [
    banner(["provider/cli/registry.ts", "provider/cli/help.ts", "provider/cli/exit.ts", "scripts/docs/fragments/cli-README.md"]),
    "",
    "# The haproxy-cluster command",
    "",
    "```text",
    "haproxy-cluster COMMAND [OPTIONS] [MEMBER...]",
    "```",
    "",
    "One page per command, each with exactly what `haproxy-cluster COMMAND --help` prints:",
    "",
    table(
      ["command", "does"],
      specs.map((s) => [`[\`${s.name}\`](${s.name}.md)`, s.summary]),
    ),
    "",
    "## Exit codes",
    "",
    "Nagios's: a monitoring system and a shell script read them the same way. Each command's",
    "page says what its own verdicts exit with (`wait` at its deadline: 2). An error that ends",
    `a command exits 3, except ${guardCodes.join(", ")} (2: nothing changed); every code is on the [errors](../errors.md) page.`,
    "",
    table(["exit", "state", "means"], exits),
    "",
    fragment("cli-README.md")!.trimEnd(),
    "",
    "## haproxy-cluster --help",
    "",
    `The options every command takes: ${globals.map((o) => `\`--${o}\``).join(", ")}.`,
    "",
    "```text",
    "$ haproxy-cluster --help",
    mainHelp(),
    "```",
    "",
  ].join("\n");
}

/** Page path (relative to the repository) → content. */
export function cliPages(): Map<string, string> {
  const pages = new Map<string, string>([["docs/cli/README.md", indexPage()]]);
  for (const spec of commandSpecs()) pages.set(`docs/cli/${spec.name}.md`, commandPage(spec));
  return pages;
}
