// The plain form of a server action, `drain --backend B --server S [--wait]` and the
// like: its command line read, the action carried out through the pipeline
// (cluster/actions) and told: each member's result, then for `drain --sessions` the
// sessions wait, and after a failure only the ways on that can work. The held restart
// and `ready --bake-seconds` apply through it too; the host-wide form shares its settings.

import type { WaitProgress } from "../../cluster/cluster";
import type { ClusterServerAction, DrainSessionsResult, ServerActionOptions, ServerActionReport, SessionsTimeoutPolicy } from "../../cluster/actions";
import { parseWeight, WEIGHT_RULE, type Weight } from "../../input-rules";
import { DEFAULTS } from "../../policy";
import { numberOption, requireOne, stringList } from "../args";
import type { Context } from "../context";
import { Exit, UsageError, exitCodeFor, type ExitCode } from "../exit";
import { progressLine } from "../progress";
import { failed, jsonReport, printResults } from "./action-report";
import { guardOptions, sessionsTimeoutPolicy } from "./shared-options";

/** What every form of an action takes from the command line. */
export interface ActionSettings {
  wait: boolean;
  timeoutSeconds?: number;
  weight?: Weight;
  force: boolean;
  minOtherServing?: number;
}

/** The settings every form reads from the command line (drain, maint and disable also take the guard's). */
export function actionSettings(ctx: Context, action: ClusterServerAction): ActionSettings {
  const weight = action === "weight" ? weightOption(ctx.values.weight) : undefined;
  const timeoutSeconds = numberOption(ctx.values, "timeout", { above: 0 });
  return { wait: ctx.flag("wait"), timeoutSeconds, weight, ...guardOptions(ctx) };
}

function weightOption(raw: unknown): Weight {
  if (raw === undefined) throw new UsageError(`weight needs --weight W: ${WEIGHT_RULE} of the configured weight.`);
  return parseWeight(String(raw), "--weight");
}

/** The pipeline's callbacks, told on stderr. */
export function tellProgress(ctx: Context): Pick<ServerActionOptions, "onProgress" | "onTransition" | "onWarning"> {
  return {
    onProgress: (p: WaitProgress) => ctx.out.info(progressLine(ctx.out, p)),
    onTransition: (t) => ctx.out.info(t.message),
    onWarning: (message) => ctx.out.warn(message),
  };
}

/** An action applied and read back, with the sessions wait's outcome after a drain --sessions. */
export interface Applied {
  report: ServerActionReport;
  drained?: DrainSessionsResult;
}

/** The servers of one backend that an action is asked for, and everything the command line says of it. */
export interface ServersRequest {
  action: ClusterServerAction;
  backend: string;
  servers: string[];
  /** `--backend B --server S…`, for the commands we print. */
  select: string[];
  settings: ActionSettings;
  /** `drain --sessions`: the wait for the drained servers' sessions, after the drain. */
  sessionsWait?: { timeoutSeconds: number; onSessionsTimeout: SessionsTimeoutPolicy };
}

/** Reads the command line of an action on the servers of one backend; every usage error is thrown here, before any member is asked. */
export function serversRequest(ctx: Context, action: ClusterServerAction): ServersRequest {
  if (ctx.flag("dry-run") || ctx.flag("allow-partial")) throw new UsageError(`--dry-run and --allow-partial go with --host; run haproxy-cluster ${action} --help.`);
  const backend = requireOne(ctx.values, "backend", action);
  const servers = stringList(ctx.values, "server");
  if (servers.length === 0) throw new UsageError(`${action} needs --server S, or --host NAME|ADDRESS; run haproxy-cluster ${action} --help.`);
  const settings = actionSettings(ctx, action);
  const sessions = ctx.flag("sessions") || ctx.values["sessions-timeout"] !== undefined || ctx.flag("shutdown-sessions") || ctx.flag("proceed");
  const timeoutSeconds = numberOption(ctx.values, "sessions-timeout", { above: 0 }) ?? DEFAULTS.sessionsTimeoutSeconds;
  const onSessionsTimeout = sessionsTimeoutPolicy(ctx);
  const select = ["--backend", backend, ...servers.flatMap((s) => ["--server", s])];
  return { action, backend, servers, select, settings, sessionsWait: action === "drain" && sessions ? { timeoutSeconds, onSessionsTimeout } : undefined };
}

/** The plain form whole (`drain … --wait` and the like): read, applied, told; the exit status. */
export async function runOnServers(ctx: Context, action: ClusterServerAction): Promise<ExitCode> {
  const request = serversRequest(ctx, action);
  const applied = await applyOnServers(ctx, request);
  if (typeof applied === "number") return applied;
  if (ctx.json) ctx.out.data(JSON.stringify({ ...jsonReport(applied.report), ...(applied.drained ? { sessions: applied.drained } : {}) }, null, 2));
  return Exit.OK;
}

/**
 * Applies the action on every member and tells each member's result, then for
 * `drain --sessions` waits for the sessions to end. A failure is told here and comes back
 * as the exit status; `signal` ends the waits early, throwing its reason.
 */
export async function applyOnServers(ctx: Context, request: ServersRequest, signal?: AbortSignal): Promise<Applied | ExitCode> {
  const { action, backend, servers, select, sessionsWait } = request;
  const cluster = await ctx.cluster();
  const options: ServerActionOptions = { ...request.settings, signal };
  const { applyServerAction, waitForSessions } = await import("../../cluster/actions");
  const { isHcError } = await import("../../errors");
  const told = tellProgress(ctx);
  const subject = `${backend}/${servers.join(",")}`;

  let report: ServerActionReport;
  try {
    report = await applyServerAction(cluster, backend, servers, action, { ...options, ...told });
  } catch (error) {
    return failed(ctx, action, error, select);
  }
  printResults(ctx, report);
  if (!sessionsWait) return { report };

  let drained: DrainSessionsResult;
  try {
    // The first poll is the read back: a drain that left nothing open costs no second read.
    drained = await waitForSessions(cluster, backend, servers, { ...sessionsWait, onProgress: told.onProgress, hold: report.hold, firstRead: report.readBack, signal: options.signal });
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
