// Server actions on every member at once: drain, maint, ready, enable, disable, weight,
// shutdown-sessions. This module holds their help and picks the form asked for: the
// servers of a backend (action-apply.ts), a host (host-action.ts), the held restart
// (held-restart.ts), or ready and then the bake (here); each carries the action out
// through the pipeline.

import { actionRow } from "../../action-table";
import type { ClusterServerAction } from "../../cluster/actions";
import { DEFAULTS, LIMITS } from "../../policy";
import { stringList, type CommandSpec, type OptionSpec } from "../args";
import { BAKE_EXIT, BAKE_HELP, BAKE_OPTIONS, bake, bakeRequest, type BakeRequest } from "../bake";
import { STOP_GRACE_SECONDS } from "../command-group";
import type { Context } from "../context";
import { UsageError, type ExitCode, type SignalExitCode } from "../exit";
import { applyOnServers, runOnServers, serversRequest } from "./action-apply";
import { GUARD_OPTIONS, JSON_OPTION, SESSIONS_OPTIONS, WAIT_OPTIONS } from "./shared-options";

const TARGET = `  --backend B          the backend
  --server S           a server of it (repeatable)
  --host NAME|ADDRESS  instead of --backend/--server: the server by name or address
                       (10.0.0.5 any port, 10.0.0.5:8080 that port) in every backend
                       of every member where it appears
  --dry-run            with --host: print the plan (member, backend, server), change nothing
  --allow-partial      with --host: act where the host is, even if it is on some members
                       only; a member that cannot be read is skipped and named, and
                       the exit status is 3 (it was not acted on)`;
const GUARD = `
  --force              skip the capacity guard: take the servers out even if fewer than
                       --min-other-serving other servers keep serving on some member
  --min-other-serving N  other servers that must keep serving in each backend on every
                       member, or nothing changes (default ${DEFAULTS.minOtherServing})`;
const WAIT = `  --wait               wait until every member shows the new state
  --timeout SECONDS    deadline of that wait (default ${DEFAULTS.actionTimeoutSeconds}); the deadline of one request
                       is --request-timeout`;
const JSON_HELP = `  --json               the per-member report as JSON on stdout`;
const EXIT = `Exit status: 0 done; 2 the wait reached its deadline (the change stays applied), or
the capacity guard refused (nothing changed); 3 a bad argument, or a member failed or
could not be read (the message says where it changed and how to undo or retry).`;

const TARGET_OPTIONS: OptionSpec = {
  backend: { type: "string", multiple: true },
  server: { type: "string", multiple: true },
  host: { type: "string", multiple: true },
  "dry-run": { type: "boolean" },
  "allow-partial": { type: "boolean" },
  ...JSON_OPTION,
};

const SELECT = "(--backend B --server S [--server S2]... | --host NAME|ADDRESS [--dry-run] [--allow-partial])";

function stateSpec(name: string, summary: string, text: string, extra = ""): CommandSpec {
  const guarded = actionRow(name as ClusterServerAction).takesOut;
  return {
    name,
    summary,
    timeoutIsDeadline: true,
    usage: `Usage: haproxy-cluster ${name} ${SELECT}${guarded ? " [--force] [--min-other-serving N]" : ""} [--wait] [--timeout SECONDS] [--json]${extra ? " [...]" : ""} MEMBER...

${text}${guarded ? "\n\nThe capacity guard: nothing changes unless, on every member, at least --min-other-serving\nother servers keep serving in each backend touched; a member that cannot be read\nrefuses too. --force overrides the count; it cannot change a member that cannot be\nread (that one would stay as it is)." : ""}

Options:
${TARGET}${guarded ? GUARD : ""}
${WAIT}
${JSON_HELP}${extra}

${EXIT}`,
    options: { ...TARGET_OPTIONS, ...WAIT_OPTIONS, ...(guarded ? GUARD_OPTIONS : {}) },
  };
}

const READY_TEXT = `Puts the servers back in rotation on every member. A server with health checks that
comes back from drain or maint first has its health verdict forced down, so it takes
traffic only after fresh checks pass (HAProxy keeps an old UP verdict across a restart
shorter than fall × inter). With --wait, success means every member shows every
server serving on such fresh checks.`;

export const specs: CommandSpec[] = [
  (() => {
    const s = stateSpec(
      "drain",
      "drain servers on every member (--sessions: wait for their sessions to end)",
      "Drains the servers on every member: no new sessions, current ones continue.",
      `
  --sessions           then wait until the servers have no session and no queued request
                       on any member
  --sessions-timeout SECONDS  deadline of that wait (default ${DEFAULTS.sessionsTimeoutSeconds}); at the deadline:
                       fail with exit 2, the servers staying drained (default), or
  --shutdown-sessions  kill the remaining sessions and succeed, or
  --proceed            succeed with a warning naming the sessions left
  -- COMMAND [ARG]...  the held restart: run COMMAND (after the drain and any sessions
                       wait) while the servers are held drained, draining them again on
                       a member that reloads meanwhile; when it succeeds, put them back
                       on fresh health checks and wait (like ready --wait); when it
                       fails, they stay drained and the exit status is 2. COMMAND runs
                       in a process group of its own, without a terminal. On SIGINT or
                       SIGTERM: that signal to its group (SIGKILL after ${STOP_GRACE_SECONDS} s), then each
                       member's state and the command that puts the servers back on
                       stderr, exit 130 or 143; a second signal stops at once
  --ready-timeout SECONDS  deadline of that last wait (default ${DEFAULTS.actionTimeoutSeconds})`,
    );
    s.options = { ...s.options, sessions: { type: "boolean" }, ...SESSIONS_OPTIONS, "ready-timeout": { type: "string" } };
    s.takesCommand = true;
    return s;
  })(),
  stateSpec("maint", "put servers in maintenance on every member", "Puts the servers in maintenance on every member: no traffic, no health checks."),
  stateSpec("disable", "maint, by the original tool's name", "The original tool's name for maint: puts the servers in maintenance on every member."),
  withBake(stateSpec("ready", "put servers back in rotation on every member, on fresh health checks", READY_TEXT)),
  withBake(stateSpec("enable", "ready, by the original tool's name", `The original tool's name for ready.\n\n${READY_TEXT}`)),
  {
    name: "weight",
    summary: "set servers' weight on every member (Runtime API members)",
    usage: `Usage: haproxy-cluster weight ${SELECT} --weight W [--json] MEMBER...

Sets the weight of the servers on every member: 0 to ${LIMITS.maxWeight}, or N% of the configured
weight. Needs the Runtime API (unix: or tcp:// members): the stats page cannot.

Options:
${TARGET}
  --weight W           0-${LIMITS.maxWeight} or N%
${JSON_HELP}

${EXIT}`,
    options: { ...TARGET_OPTIONS, weight: { type: "string" } },
  },
  {
    name: "shutdown-sessions",
    summary: "kill the current sessions of servers on every member",
    usage: `Usage: haproxy-cluster shutdown-sessions ${SELECT} [--json] MEMBER...

Kills every current session of the servers on every member (HAProxy's
\`shutdown sessions server\`).

Options:
${TARGET}
${JSON_HELP}

${EXIT}`,
    options: { ...TARGET_OPTIONS },
  },
];

/** `ready --wait --bake-seconds N`: once back, the server is judged as `analyse` does. */
function withBake(s: CommandSpec): CommandSpec {
  s.options = { ...s.options, ...BAKE_OPTIONS };
  s.usage = s.usage.replace(`\n\n${EXIT}`, `

With --wait and --bake-seconds, once every member shows the server serving it is
watched and judged against its peers, as haproxy-cluster analyse does (one server):
${BAKE_HELP}

${EXIT} With --bake-seconds: ${BAKE_EXIT}.`);
  return s;
}

/** Picks the form asked for: the host-wide form, the held restart, `ready` with a bake, or the plain form. */
export async function run(ctx: Context): Promise<ExitCode | SignalExitCode> {
  const action = ctx.spec.name as ClusterServerAction;
  const hosts = stringList(ctx.values, "host");
  if (hosts.length > 0) {
    if (ctx.trailing !== undefined) throw new UsageError("the held restart (-- COMMAND) takes --backend and --server, not --host.");
    if (ctx.values["bake-seconds"] !== undefined) throw new UsageError("--bake-seconds judges one server once it is back: use it with --backend and one --server, not --host.");
    const { runForHost } = await import("./host-action");
    return runForHost(ctx, action, hosts);
  }
  if (ctx.trailing !== undefined) {
    const { runHeldRestart } = await import("./held-restart");
    return runHeldRestart(ctx, action);
  }
  const baking = action === "ready" || action === "enable" ? bakeRequest(ctx, false) : undefined;
  if (baking) return readyAndBake(ctx, action, baking);
  return runOnServers(ctx, action);
}

/** `ready --wait --bake-seconds N`: the server put back, then judged from the read in which every member showed it back. */
async function readyAndBake(ctx: Context, action: ClusterServerAction, baking: BakeRequest): Promise<ExitCode> {
  const request = serversRequest(ctx, action);
  if (!request.settings.wait || request.servers.length !== 1) throw new UsageError(`--bake-seconds judges one server once it is back: use it with --wait and one --server.`);
  const applied = await applyOnServers(ctx, request);
  if (typeof applied === "number") return applied;
  return bake(ctx, await ctx.cluster(), request.backend, request.servers[0]!, baking, applied.report.reached);
}
