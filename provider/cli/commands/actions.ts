// Server actions on every member at once: drain, maint, ready, enable, disable, weight,
// shutdown-sessions. Each member's result is reported; a partial result says where the
// change happened and how to undo or retry it.

import { actionRow } from "../../action-table";
import type { Cluster, WaitProgress } from "../../cluster/cluster";
import type { HostPlan } from "../../cluster/host-actions";
import type { ClusterServerAction, DrainSessionsResult, ServerActionOptions, ServerActionReport, SessionsTimeoutPolicy } from "../../cluster/server-actions";
import { DEFAULTS } from "../../policy";
import type { Weight } from "../../transport/types";
import { numberOption, requireOne, stringList, type CommandSpec, type OptionSpec } from "../args";
import { STOP_GRACE_SECONDS } from "../command-group";
import type { Context } from "../context";
import { Exit, UsageError, exitCodeFor, type ExitCode, type SignalExitCode } from "../exit";
import { failed, jsonReport, printResults } from "./action-report";
import { BAKE_EXIT, BAKE_HELP, BAKE_OPTIONS, bake, bakeRequest } from "./analyse";
import { GUARD_OPTIONS, JSON_OPTION, SESSIONS_OPTIONS, WAIT_OPTIONS, guardOptions, sessionsTimeoutPolicy } from "./shared-options";
import { progressLine } from "./wait";

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

Sets the weight of the servers on every member: 0 to 256, or N% of the configured
weight. Needs the Runtime API (unix: or tcp:// members): the stats page cannot.

Options:
${TARGET}
  --weight W           0-256 or N%
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

export async function run(ctx: Context): Promise<ExitCode | SignalExitCode> {
  const action = ctx.spec.name as ClusterServerAction;
  const hosts = stringList(ctx.values, "host");
  if (hosts.length > 0 && ctx.trailing !== undefined) throw new UsageError("the held restart (-- COMMAND) takes --backend and --server, not --host.");
  if (hosts.length > 0) return runForHost(ctx, action, hosts);
  if (ctx.flag("dry-run") || ctx.flag("allow-partial")) throw new UsageError(`--dry-run and --allow-partial go with --host; run haproxy-cluster ${action} --help.`);
  const backend = requireOne(ctx.values, "backend", action);
  const servers = stringList(ctx.values, "server");
  if (servers.length === 0) throw new UsageError(`${action} needs --server S, or --host NAME|ADDRESS; run haproxy-cluster ${action} --help.`);
  const weight = action === "weight" ? parseWeight(ctx.values.weight) : undefined;
  const timeoutSeconds = numberOption(ctx.values, "timeout", { above: 0 });
  const guard = guardOptions(ctx);
  const sessions = ctx.flag("sessions") || ctx.values["sessions-timeout"] !== undefined || ctx.flag("shutdown-sessions") || ctx.flag("proceed");
  const sessionsTimeoutSeconds = numberOption(ctx.values, "sessions-timeout", { above: 0 }) ?? DEFAULTS.sessionsTimeoutSeconds;
  const onSessionsTimeout = sessionsTimeoutPolicy(ctx);
  const baking = action === "ready" || action === "enable" ? bakeRequest(ctx, false) : undefined;
  if (baking && (!ctx.flag("wait") || servers.length !== 1)) throw new UsageError(`--bake-seconds judges one server once it is back: use it with --wait and one --server.`);

  const cluster = await ctx.cluster();
  const select = ["--backend", backend, ...servers.flatMap((s) => ["--server", s])];
  const sessionsWait = action === "drain" && sessions ? { timeoutSeconds: sessionsTimeoutSeconds, onSessionsTimeout } : undefined;
  const act = (signal?: AbortSignal) => applyAndTell(ctx, cluster, action, backend, servers, select, { wait: ctx.flag("wait"), timeoutSeconds, weight, ...guard, signal }, sessionsWait);
  if (ctx.trailing !== undefined) {
    const { runHeldRestart } = await import("./held-restart");
    return runHeldRestart(ctx, cluster, { backend, servers, select }, act);
  }
  const applied = await act();
  if (typeof applied === "number") return applied;
  if (baking) return bake(ctx, cluster, backend, servers[0]!, baking);
  if (ctx.json) ctx.out.data(JSON.stringify({ ...jsonReport(applied.report), ...(applied.drained ? { sessions: applied.drained } : {}) }, null, 2));
  return Exit.OK;
}

/** An action applied and read back, with the sessions wait's outcome after a drain --sessions. */
export interface Applied {
  report: ServerActionReport;
  drained?: DrainSessionsResult;
}

/**
 * Applies the action on every member and tells each member's result, then for
 * `drain --sessions` waits for the sessions to end. A failure is told here and comes back
 * as the exit status; `options.signal` ends the waits early, throwing its reason.
 */
async function applyAndTell(
  ctx: Context,
  cluster: Cluster,
  action: ClusterServerAction,
  backend: string,
  servers: string[],
  select: string[],
  options: ServerActionOptions,
  sessionsWait?: { timeoutSeconds: number; onSessionsTimeout: SessionsTimeoutPolicy },
): Promise<Applied | ExitCode> {
  const { applyServerAction, waitForSessions } = await import("../../cluster/server-actions");
  const { isHcError } = await import("../../errors");
  const onProgress = (p: WaitProgress) => ctx.out.info(progressLine(ctx.out, p));
  const subject = `${backend}/${servers.join(",")}`;

  let report: ServerActionReport;
  try {
    report = await applyServerAction(cluster, backend, servers, action, {
      ...options,
      onProgress,
      onTransition: (t) => ctx.out.info(t.message),
      onWarning: (message) => ctx.out.warn(message),
    });
  } catch (error) {
    return failed(ctx, action, error, select);
  }
  printResults(ctx, report);
  if (!sessionsWait) return { report };

  let drained: DrainSessionsResult;
  try {
    // The first poll is the read back: a drain that left nothing open costs no second read.
    drained = await waitForSessions(cluster, backend, servers, { ...sessionsWait, onProgress, hold: report.hold, firstRead: report.readBack, signal: options.signal });
  } catch (error) {
    if (!isHcError(error) || options.signal?.aborted) throw error;
    ctx.out.error(`${error.message} ${afterSessionsWait(ctx, error, report, select, sessionsWait.onSessionsTimeout)}`);
    if (ctx.json) ctx.out.data(JSON.stringify({ ...jsonReport(report), sessions: { drained: false, error: error.message } }, null, 2));
    return exitCodeFor(error);
  }
  const left = Object.entries(drained.remaining ?? {})
    .map(([member, n]) => `${member}: ${n}`)
    .join(", ");
  if (drained.drained) ctx.out.info(`${subject}: no session and no queued request left on any member.`);
  else if (drained.deadlineAction === "shutdown") ctx.out.info(`${subject}: sessions still open after ${sessionsWait.timeoutSeconds} s were shut down (${left}).`);
  else ctx.out.warn(`${subject} still has sessions after ${sessionsWait.timeoutSeconds} s (${left}); proceeding as asked (--proceed).`);
  return { report, drained };
}

/** `--host`: the action on every backend of every member where the host appears; `--dry-run` prints the plan only. */
async function runForHost(ctx: Context, action: ClusterServerAction, hosts: string[]): Promise<ExitCode> {
  if (hosts.length > 1) throw new UsageError(`${action} takes one --host, got ${hosts.length}.`);
  if (ctx.values.backend !== undefined || ctx.values.server !== undefined) throw new UsageError("give either --host or --backend and --server, not both.");
  if (ctx.flag("sessions") || ctx.values["sessions-timeout"] !== undefined || ctx.flag("shutdown-sessions") || ctx.flag("proceed")) {
    throw new UsageError("--sessions and its options need --backend and --server; with --host, drain first, then wait per backend.");
  }
  const host = hosts[0]!;
  const weight = action === "weight" ? parseWeight(ctx.values.weight) : undefined;
  const timeoutSeconds = numberOption(ctx.values, "timeout", { above: 0 });
  const guard = guardOptions(ctx);
  const allowPartial = ctx.flag("allow-partial");
  const cluster = await ctx.cluster();
  const { planHostAction, checkHostPlan, applyHostAction } = await import("../../cluster/host-actions");

  const plan = await planHostAction(cluster, host);
  const gaps = [...plan.missingOn.map((m) => `${m}: ${host} not found`), ...[...plan.unreadable].map(([m, e]) => `${m}: could not be read: ${e.message}`)];
  if (ctx.flag("dry-run")) {
    if (ctx.json) ctx.out.data(JSON.stringify({ host, action, plan: plan.targets, foundOn: plan.foundOn, missingOn: plan.missingOn, unreadable: [...plan.unreadable.keys()] }, null, 2));
    else ctx.out.data(planTable(plan.targets));
    for (const gap of gaps) ctx.out.warn(gap);
    // A dry run answers as the real run would: the same refusals, nothing changed.
    checkHostPlan(plan, allowPartial);
    if (actionRow(action).takesOut) {
      const { checkCapacity } = await import("../../cluster/capacity-guard");
      checkCapacity(plan.snapshot, plan.targets, guard, plan.foundOn);
    }
    ctx.out.info(`dry run: ${action} would apply to ${plan.targets.length} backend(s) on ${plan.foundOn.length} member(s); nothing changed.`);
    return reportUnreadMembers(ctx, plan, `${action} --host ${host} would act`);
  }
  for (const gap of gaps) ctx.out.warn(gap);
  let report: ServerActionReport;
  try {
    ({ report } = await applyHostAction(cluster, plan, action, {
      wait: ctx.flag("wait"),
      timeoutSeconds,
      weight,
      ...guard,
      allowPartial,
      onProgress: (p: WaitProgress) => ctx.out.info(progressLine(ctx.out, p)),
      onTransition: (t) => ctx.out.info(t.message),
      onWarning: (message) => ctx.out.warn(message),
    }));
  } catch (error) {
    return failed(ctx, action, error, ["--host", host]);
  }
  printResults(ctx, report);
  if (ctx.json) ctx.out.data(JSON.stringify({ host, ...jsonReport(report), ...(plan.unreadable.size > 0 ? { unreadable: [...plan.unreadable.keys()] } : {}) }, null, 2));
  return reportUnreadMembers(ctx, plan, `${action} --host ${host} acted`);
}

/**
 * --allow-partial acts where the host was found; a member that could not be read was not
 * acted on and nothing is known of it, which is no success: name it and exit 3.
 */
function reportUnreadMembers(ctx: Context, plan: Pick<HostPlan, "host" | "foundOn" | "unreadable">, did: string): ExitCode {
  if (plan.unreadable.size === 0) return Exit.OK;
  const skipped = [...plan.unreadable.keys()];
  ctx.out.error(`${did} on ${plan.foundOn.join(", ")} only: ${skipped.join(", ")} could not be read, so whether ${plan.host} is there, and in what state, is unknown; run the same command for ${skipped.join(" ")} once it answers.`);
  return Exit.UNKNOWN;
}

/**
 * What is known once the sessions wait failed, and only the ways on that can work: the
 * servers stay drained on every member read on the last poll; on a member that could
 * not be read their state is unknown (a restarted HAProxy starts from its configuration),
 * and --shutdown-sessions cannot reach it, so it is offered only when every member was read.
 */
function afterSessionsWait(
  ctx: Context,
  error: { code: string; member?: string; details: Record<string, unknown> },
  report: ServerActionReport,
  select: string[],
  onSessionsTimeout: SessionsTimeoutPolicy,
): string {
  // The members not read: on the last poll (a deadline), the ones a shutdown failed on, or the one an error names.
  const listed = error.code === "HC_WAIT_DEADLINE" ? error.details.unreadable : error.code === "HC_PARTIAL_FAILURE" ? error.details.failed : error.member !== undefined ? [error.member] : [];
  const unreadable = (listed as string[] | undefined) ?? [];
  const read = report.changed.filter((m) => !unreadable.includes(m));
  if (unreadable.length === 0) return `The servers stay drained on every member; put them back with ${ctx.commandFor(["ready", ...select])}, or end the sessions with --shutdown-sessions.`;
  const notApplied = onSessionsTimeout === "fail" ? "" : `${onSessionsTimeout === "shutdown" ? "No session was shut down" : "It did not proceed"}: that needs every member read. `;
  const unknown = `${notApplied}Their state on ${unreadable.join(", ")} is unknown: it could not be read, and an HAProxy restarted there starts from its configuration; check with haproxy-cluster status ${select.slice(0, 2).join(" ")} ${unreadable.join(" ")} once it answers.`;
  if (read.length === 0) return unknown;
  return `The servers stay drained on ${read.join(", ")}; put them back there with haproxy-cluster ready ${select.join(" ")} ${read.join(" ")}. ${unknown}`;
}

/** The plan as a table: one line per member, backend and server. */
function planTable(targets: ServerActionReport["targets"]): string {
  const rows = [["MEMBER", "BACKEND", "SERVER"], ...targets.flatMap((t) => t.servers.map((s) => [t.member, t.backend, s]))];
  const widths = [0, 1].map((i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => `${r[0]!.padEnd(widths[0]!)}  ${r[1]!.padEnd(widths[1]!)}  ${r[2]}`).join("\n");
}

function parseWeight(raw: unknown): Weight {
  if (raw === undefined) throw new UsageError("weight needs --weight W (0-256, or N% of the configured weight).");
  const text = String(raw).trim();
  if (/^\d{1,3}$/.test(text) && Number(text) <= 256) return Number(text);
  if (/^\d{1,3}%$/.test(text) && Number(text.slice(0, -1)) <= 100) return text as `${number}%`;
  throw new UsageError(`--weight must be 0 to 256 or 0% to 100%, not ${JSON.stringify(text)}.`);
}
