// Servers that come and go: add-server, remove-server and set-address on every member
// (the library's server-lifecycle.ts). Errors go to main's handler: one sentence naming
// the members, exit status from the HC_* table.

import { SERVER_CHANGES, type ServerChangeName } from "../../action-table";
import { DEFAULTS, LIMITS } from "../../policy";
import { numberOption, requireOne, type CommandSpec, type OptionSpec } from "../args";
import type { Context } from "../context";
import { Exit, type ExitCode } from "../exit";
import { printResults } from "./action-report";
import { progressLine } from "../progress";
import { GUARD_OPTIONS, JSON_OPTION, SESSIONS_OPTIONS, WAIT_OPTIONS, guardOptions, sessionsTimeoutPolicy } from "./shared-options";

const WAIT = `  --wait               wait until every member shows the server serving on fresh checks
  --timeout SECONDS    deadline of that wait (default ${DEFAULTS.actionTimeoutSeconds}); the deadline of one request
                       is --request-timeout`;
const GUARD = `  --force              skip the capacity guard: take the server out even if fewer than
                       --min-other-serving other servers keep serving on some member
  --min-other-serving N  other servers that must keep serving on every member, or nothing
                       changes (default ${DEFAULTS.minOtherServing})`;
const SESSIONS = `  --sessions-timeout SECONDS  deadline for the drained server's sessions and queued
                       requests to reach 0 (default ${DEFAULTS.sessionsTimeoutSeconds}); at the deadline: fail with
                       exit 2, the server staying drained (default), or
  --shutdown-sessions  kill the remaining sessions and go on, or
  --proceed            go on with a warning naming the sessions left`;
const EXIT = `Exit status: 0 done; 2 a wait reached its deadline (what was done stays done), or the
capacity guard refused (nothing changed); 3 a bad argument, a name taken or unknown, a
member too old, refused or unreadable (the message names the member and what changed).`;
const JSON_HELP = "  --json               the report as JSON on stdout, on failure too: each member's outcome,\n                       what it shows now, and the HC_* code";
/** Every command here names one server of one backend. */
const TARGET_OPTIONS = { backend: { type: "string" }, server: { type: "string" } } as const satisfies OptionSpec;

export const specs: CommandSpec[] = [
  {
    name: "add-server",
    summary: "add a server to a backend on every member, in rotation on fresh health checks",
    timeoutIsDeadline: true,
    usage: `Usage: haproxy-cluster add-server --backend B --server NAME --address HOST:PORT
                                  [--check-interval MS] [--weight W] [--wait] [--timeout SECONDS] [--json] MEMBER...

Adds the server on every member (HAProxy's \`add server\`, 2.5 or later), out of
rotation, then puts it in rotation only once health checks made after it was added
pass, as ready does. \`add server\` ignores the backend's default-server: the server gets
\`check\` with the rise and fall of the backend's first checked server (read from its
statistics), the interval --check-interval (HAProxy shows no server's interval), and
the configured weight of the backend's first server with one above 0 unless --weight.
A backend none of whose servers is checked still gets a checked server, with HAProxy's
defaults (rise ${DEFAULTS.addedServerRise}, fall ${DEFAULTS.addedServerFall}): it enters rotation only on fresh checks.

Nothing changes when the name is taken on any member, a member is older than 2.5 or
not a Runtime API member, or the backend is missing. A backend that cannot take
servers at run time is known only from HAProxy's answer: the server is deleted again
where it was added (in maintenance, never serving) and HAProxy's reason is printed.
A reload forgets servers added at run time: while add-server waits, a member that
reloads gets the server again (same address and checks) and the wait goes on; after it,
status shows the member without it as a disagreement. To keep it across reloads, add it
to the configuration as well, or use server-template slots with a state file and
set-address (docs/servers-at-run-time.md).

Options:
  --backend B          the backend
  --server NAME        the new server's name
  --address HOST:PORT  its address (an IPv4 address or host name, or [IPv6]:PORT)
  --check-interval MS  health-check interval in milliseconds (default ${DEFAULTS.addedServerCheckIntervalMs})
  --weight W           weight 0-${LIMITS.maxWeight} (default: the configured weight of the backend's first server
                       with one above 0, else 1)
${WAIT}
${JSON_HELP}

${EXIT}`,
    options: { ...TARGET_OPTIONS, address: { type: "string" }, "check-interval": { type: "string" }, weight: { type: "string" }, ...WAIT_OPTIONS, ...JSON_OPTION },
  },
  {
    name: "remove-server",
    summary: "drain a server on every member, wait for its sessions, and delete it",
    timeoutIsDeadline: true,
    usage: `Usage: haproxy-cluster remove-server --backend B --server S [--configured-too] [--force] [--min-other-serving N]
                                     [--sessions-timeout SECONDS] [--shutdown-sessions | --proceed]
                                     [--timeout SECONDS] [--json] MEMBER...

Removes the server from every member: the capacity guard, drain, a wait for its
sessions and queued requests to end, maintenance, then HAProxy's \`del server\` (after
\`wait … srv-removable\` on 3.0 and later), and a read back that it is gone.

A server from a member's configuration file is refused: HAProxy deletes it as readily,
but it comes back at that member's next reload. HAProxy shows no marker of a server
added at run time; it refuses only to let a new server track one, so a probe server
(\`hc-probe-…\`, in maintenance, tracking it) tells them apart on each member and is
deleted at once.

Options:
  --backend B          the backend
  --server S           the server
  --configured-too     remove it even where it is in the configuration file
${GUARD}
${SESSIONS}
  --timeout SECONDS    how long HAProxy may take to make the server removable (3.0 and
                       later; default ${DEFAULTS.actionTimeoutSeconds})
${JSON_HELP}

${EXIT}`,
    options: { ...TARGET_OPTIONS, "configured-too": { type: "boolean" }, ...GUARD_OPTIONS, ...SESSIONS_OPTIONS, timeout: { type: "string" }, ...JSON_OPTION },
  },
  {
    name: "set-address",
    summary: "move a server to a new address on every member, back on fresh health checks",
    timeoutIsDeadline: true,
    usage: `Usage: haproxy-cluster set-address --backend B --server S --address HOST:PORT [--force]
                                   [--min-other-serving N] [--sessions-timeout SECONDS
                                   [--shutdown-sessions | --proceed]] [--wait] [--timeout SECONDS] [--json] MEMBER...

Drains the server on every member (behind the capacity guard), with --sessions-timeout
waits for its sessions, sets the new address (\`set server … addr … port …\`), reads it
back, and puts the server back in rotation on health checks made at the new address.
The way to fill a \`server-template\` slot. A state file brings a slot back at its new
address after a reload only when the slot is declared by a name that does not resolve
with \`init-addr last,PLACEHOLDER-IP\`; declared by an IP address, it gets its port back
but not its address (docs/servers-at-run-time.md). While set-address waits, a member
that reloads gets the address (or a server added at run time) again.

Options:
  --backend B          the backend
  --server S           the server (or server-template slot)
  --address HOST:PORT  its new address
${GUARD}
${SESSIONS}
${WAIT}
${JSON_HELP}

${EXIT}`,
    options: { ...TARGET_OPTIONS, address: { type: "string" }, ...GUARD_OPTIONS, ...SESSIONS_OPTIONS, ...WAIT_OPTIONS, ...JSON_OPTION },
  },
];

export async function run(ctx: Context): Promise<ExitCode> {
  const name = ctx.spec.name;
  const backend = requireOne(ctx.values, "backend", name);
  const server = requireOne(ctx.values, "server", name);
  const address = name === "remove-server" ? undefined : requireOne(ctx.values, "address", name);
  const timeoutSeconds = numberOption(ctx.values, "timeout", { above: 0 });
  const onSessionsTimeout = sessionsTimeoutPolicy(ctx);
  const guard = guardOptions(ctx);
  const cluster = await ctx.cluster();
  const lifecycle = await import("../../cluster/server-lifecycle");
  const common = {
    wait: ctx.flag("wait"),
    timeoutSeconds,
    onProgress: (p: Parameters<typeof progressLine>[1]) => ctx.out.info(progressLine(ctx.out, p)),
    onTransition: (t: { message: string }) => ctx.out.info(t.message),
    onWarning: (message: string) => ctx.out.warn(message),
  };
  const subject = `${backend}/${server}`;
  const row = SERVER_CHANGES[name as ServerChangeName];
  const where = (members: readonly string[]) => `${subject} ${row.done} on ${members.join(", ")}`;
  try {
    let json: object;
    if (name === "add-server") {
      const report = await lifecycle.addServer(cluster, backend, server, address!, {
        ...common,
        checkIntervalMs: numberOption(ctx.values, "check-interval", { min: 1, integer: true }),
        weight: numberOption(ctx.values, "weight", { min: 0, max: LIMITS.maxWeight, integer: true }),
        onAdded: (at, settings) => ctx.out.info(`${subject} added at ${at} (${settings || "no health check"}) in maintenance on ${cluster.memberNames.join(", ")}; now in rotation on fresh health checks.`),
      });
      printResults(ctx, report.ready);
      json = { backend, server, address: report.address, settings: report.settings, members: cluster.memberNames, waited: report.ready.waited };
    } else if (name === "remove-server") {
      const sessionsTimeoutSeconds = numberOption(ctx.values, "sessions-timeout", { above: 0 });
      const report = await lifecycle.removeServer(cluster, backend, server, { ...guard, ...common, sessionsTimeoutSeconds, onSessionsTimeout, configuredToo: ctx.flag("configured-too") });
      if (report.sessions.deadlineAction === "proceed") ctx.out.warn(`${subject} still had sessions at the deadline; removed as asked (--proceed).`);
      ctx.out.info(`${where(report.removed)}; to go back: haproxy-cluster ${row.undo.replace("TARGET", `--backend ${backend} --server ${server}`)}.`);
      json = { backend, server, removed: report.removed, sessions: report.sessions };
    } else {
      // --shutdown-sessions or --proceed alone ask for the sessions wait at its default deadline.
      const policyGiven = onSessionsTimeout !== "fail";
      const sessionsTimeoutSeconds = numberOption(ctx.values, "sessions-timeout", { above: 0 }) ?? (policyGiven ? DEFAULTS.sessionsTimeoutSeconds : undefined);
      const report = await lifecycle.setServerAddress(cluster, backend, server, address!, { ...guard, ...common, sessionsTimeoutSeconds, onSessionsTimeout });
      ctx.out.info(`${where(cluster.memberNames)} (now ${report.address}).`);
      printResults(ctx, report.ready);
      json = { backend, server, address: report.address, members: cluster.memberNames, waited: report.ready.waited, ...(report.sessions ? { sessions: report.sessions } : {}) };
    }
    if (ctx.json) ctx.out.data(JSON.stringify(json, null, 2));
    return Exit.OK;
  } catch (error) {
    // As for drain: the report on stdout, the sentence on stderr (main's handler), the exit status from the HC_* code.
    if (ctx.json) {
      const { serverChangeFailure } = await import("./server-change-report");
      ctx.out.data(JSON.stringify(await serverChangeFailure(name, cluster, backend, server, error), null, 2));
    }
    throw error;
  }
}
