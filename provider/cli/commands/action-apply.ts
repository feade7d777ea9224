// One server action carried out through the pipeline (cluster/actions) and told: each
// member's result, then for `drain --sessions` the sessions wait, and after a failure
// only the ways on that can work. Shared by the plain form and the held restart.

import type { Cluster, WaitProgress } from "../../cluster/cluster";
import type { ClusterServerAction, DrainSessionsResult, ServerActionOptions, ServerActionReport, SessionsTimeoutPolicy } from "../../cluster/actions";
import type { Weight } from "../../transport/types";
import { numberOption } from "../args";
import type { Context } from "../context";
import { UsageError, exitCodeFor, type ExitCode } from "../exit";
import { progressLine } from "../progress";
import { failed, jsonReport, printResults } from "./action-report";
import { guardOptions } from "./shared-options";

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
  const weight = action === "weight" ? parseWeight(ctx.values.weight) : undefined;
  const timeoutSeconds = numberOption(ctx.values, "timeout", { above: 0 });
  return { wait: ctx.flag("wait"), timeoutSeconds, weight, ...guardOptions(ctx) };
}

function parseWeight(raw: unknown): Weight {
  if (raw === undefined) throw new UsageError("weight needs --weight W (0-256, or N% of the configured weight).");
  const text = String(raw).trim();
  if (/^\d{1,3}$/.test(text) && Number(text) <= 256) return Number(text);
  if (/^\d{1,3}%$/.test(text) && Number(text.slice(0, -1)) <= 100) return text as `${number}%`;
  throw new UsageError(`--weight must be 0 to 256 or 0% to 100%, not ${JSON.stringify(text)}.`);
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

/**
 * Applies the action on every member and tells each member's result, then for
 * `drain --sessions` waits for the sessions to end. A failure is told here and comes back
 * as the exit status; `options.signal` ends the waits early, throwing its reason.
 */
export async function applyAndTell(
  ctx: Context,
  cluster: Cluster,
  action: ClusterServerAction,
  backend: string,
  servers: string[],
  select: string[],
  options: ServerActionOptions,
  sessionsWait?: { timeoutSeconds: number; onSessionsTimeout: SessionsTimeoutPolicy },
): Promise<Applied | ExitCode> {
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
