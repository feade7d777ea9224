// Changing servers on every member at once, as one pipeline: plan (arguments, targets,
// capabilities, one read) → guard (capacity) → write (each member) → read back (each
// member) → wait (the goal, then on request the sessions). Every caller goes through it:
// the CLI, host-wide actions, the held restart, the Pulumi resources and the run-time
// server changes. A member that did not change is never reported as changed, and a
// partial result says exactly where the servers are out of rotation.

import { actionRow } from "../../action-table";
import { HcError, HcPartialFailure, asHcError, joinSentences } from "../../errors";
import type { Member } from "../../model/member";
import type { Snapshot } from "../../model/snapshot";
import type { Cluster } from "../cluster";
import { ClusterSnapshot } from "../cluster-snapshot";
import { ServerHold } from "../hold";
import { guardAction, inTurn } from "./guard";
import { checkHostPlan, planAction, planHostAction, targetsOnEveryMember, type ActionPlan, type ActionTarget, type ClusterServerAction, type HostPlan, type ServerActionOptions } from "./plan";
import { readAfterFailure, readBack } from "./read-back";
import { waitForGoal, waitForIdle, waitLeft, type DrainSessionsOptions, type DrainSessionsResult } from "./wait";
import { mayHaveWritten, nothingSent, writeOnMember, type WriteCount } from "./write";

export { checkCapacity, DEFAULT_MIN_OTHER_SERVING, guardAction, type CapacityGuardOptions, type Removal } from "./guard";
export { checkHostPlan, planHostAction, serverMatchesHost, type ActionTarget, type ClusterServerAction, type HostPlan, type ServerActionOptions } from "./plan";
export { stateReached, type DrainSessionsOptions, type DrainSessionsResult, type SessionsDeadlinePolicy, type SessionsTimeoutPolicy } from "./wait";

export interface MemberActionResult {
  member: string;
  ok: boolean;
  error?: HcError;
  /**
   * After a failed or ambiguous write, each `backend/server`'s status as read again on
   * this member (e.g. `DRAIN`, `DOWN (drain)`); absent when nothing was written or the read failed.
   */
  stateAfter?: Record<string, string>;
  /** A write began but the member could not be read afterwards: it may or may not have changed. */
  stateUnknown?: boolean;
  /** The error of a write whose reply was lost although the change is in place (`ok` is then true). */
  recoveredFrom?: string;
  /** Servers whose health verdict was forced down so that only fresh checks bring them back (`ready`). */
  forcedFreshChecks?: string[];
  /** Old workers (master sockets, after a reload) that refused the change, one sentence each (also sent to `onWarning`). */
  oldWorkersRefused?: string[];
}

export interface ServerActionReport {
  action: ClusterServerAction;
  backend: string;
  servers: string[];
  /** Every backend's servers on every member the action was applied to. */
  targets: ActionTarget[];
  results: MemberActionResult[];
  /** Members where the action was applied and read back. */
  changed: string[];
  failed: string[];
  /** Whether the wait (if asked) finished on every changed member. */
  waited: boolean;
  /**
   * For drain, maint and ready: the hold that knows which process each member's state
   * was confirmed on, and watched for reloads while waiting. Hand it to
   * `waitForSessions` (or a later `waitUntil`) to keep holding.
   */
  hold?: ServerHold;
  /**
   * Every member's read back (the state after the change), when each was read back: hand
   * it to `waitForSessions` as `firstRead`, so that its first poll is not a second read.
   */
  readBack?: ClusterSnapshot;
  /**
   * For drain, maint and ready with `wait`: one read of every member of the cluster in
   * which every target showed the goal (the wait's last poll, or the read back when it
   * already did). Absent when some member was not in it (not changed, or not read).
   * Hand it to `analyseServer` as `baseline`: the bake's window then starts when the
   * servers were seen back on every member, with no read of its own in between.
   */
  reached?: ClusterSnapshot;
}

export interface HostActionOptions extends ServerActionOptions {
  /**
   * Go ahead when the host is on some members only (or some could not be read: those are
   * in the plan's `unreadable`, not acted on; the CLI exits 3 naming them). Default false.
   */
  allowPartial?: boolean;
}

/**
 * Applies `action` to the servers of `backend` on every member at once.
 *
 * Each member costs three round trips: one read (names checked, capacity guarded, the
 * state `ready` needs), the write, one read back. Actions that take servers out
 * (`drain`, `maint`, `disable`) pass the capacity guard first (see guard.ts):
 * nothing changes anywhere unless at least `minOtherServing` other servers keep serving
 * on every member; `force` overrides.
 *
 * `ready` (and `enable`) put servers back on fresh evidence: a server with health
 * checks that is coming back from drain or maint first has its health verdict forced
 * down, so that it serves again only after `rise` checks made after this call (see
 * write.ts). Servers without health checks are never forced down.
 *
 * Throws HcPartialFailure (with `details.report`) when any member failed; the members
 * listed as changed did change.
 */
export async function applyServerAction(
  cluster: Cluster,
  backend: string,
  servers: string | readonly string[],
  action: ClusterServerAction,
  options: ServerActionOptions = {},
): Promise<ServerActionReport> {
  const names = typeof servers === "string" ? [servers] : [...servers];
  const report = await applyToTargets(cluster, targetsOnEveryMember(cluster, backend, names), action, options, `${backend}/${names.join(",")}`);
  return { ...report, backend, servers: names };
}

/**
 * Applies `action` to the host wherever it appears: plans from one read, checks the plan,
 * then acts on that same read (the capacity guard covers every backend touched).
 */
export async function applyHostAction(cluster: Cluster, host: string | HostPlan, action: ClusterServerAction, options: HostActionOptions = {}): Promise<{ plan: HostPlan; report: ServerActionReport }> {
  const plan = typeof host === "string" ? await planHostAction(cluster, host) : host;
  checkHostPlan(plan, options.allowPartial);
  const report = await applyToTargets(cluster, plan.targets, action, { ...options, snapshot: options.snapshot ?? plan.snapshot }, plan.host);
  return { plan, report };
}

/** The pipeline: every target on its member, members at once. */
export async function applyToTargets(
  cluster: Cluster,
  targets: readonly ActionTarget[],
  action: ClusterServerAction,
  options: ServerActionOptions,
  subject: string,
): Promise<ServerActionReport> {
  const row = actionRow(action);
  // Plan, guard, write and read back: removals from this process take turns, so that each
  // guard reads the ones before it already out.
  const applied = async () => {
    const plan = await planAction(cluster, targets, action, options);
    guardAction(action, plan.before, targets, options, plan.cluster.memberNames);
    const hold = row.holds && options.holdAcrossReloads !== false ? new ServerHold(plan.cluster.members, targets, row.holds, { onWarning: options.onWarning, runtimeServers: options.runtimeServers }) : undefined;
    return { plan, hold, settled: await plan.cluster.mapSettled((member) => actOnMember(member, plan, options, hold)) };
  };
  const { plan, hold, settled } = row.takesOut ? await inTurn(targets, cluster.memberNames, applied, options.onWarning, options.signal) : await applied();
  const results = [...settled].map(([member, r]): MemberActionResult => (r.ok ? r.value.result : { member, ok: false, error: r.error }));
  const changed = results.filter((r) => r.ok).map((r) => r.member);
  const failed = results.filter((r) => !r.ok).map((r) => r.member);
  const allServers = [...new Set(targets.flatMap((t) => t.servers))];
  const readBacks = [...settled].map(([name, r]) => [name, r.ok && r.value.readBack ? { ok: true as const, value: r.value.readBack } : undefined] as const);
  const readBackAll = readBacks.every(([, r]) => r !== undefined) ? ClusterSnapshot.of(readBacks as Array<readonly [string, { ok: true; value: Snapshot }]>) : undefined;
  const report: ServerActionReport = { action, backend: plan.backends.join(","), servers: allServers, targets: [...targets], results, changed, failed, waited: false, hold, readBack: readBackAll };

  let waitError: HcError | undefined;
  const left = waitLeft(action, [...settled.values()].every((r) => r.ok && r.value.confirmed));
  if (options.wait && changed.length > 0 && left !== "none") {
    try {
      const shown = left === "wait" ? await waitForGoal(plan, changed, options, hold, subject) : readBackAll;
      report.waited = true;
      if (shown && cluster.memberNames.every((m) => shown.snapshots.has(m))) report.reached = shown;
    } catch (error) {
      // Stopped by the caller: its reason, as given, not a member's failure.
      if (options.signal?.aborted) throw options.signal.reason;
      waitError = asHcError(error, changed.join(", "));
    }
  }

  if (failed.length > 0) {
    const failures = new Map(results.filter((r) => !r.ok).map((r) => [r.member, r.error!] as const));
    const unknown = results.filter((r) => r.stateUnknown).map((r) => r.member);
    const where = changed.length > 0 ? `It was applied on ${changed.join(", ")} only.` : unknown.length > 0 ? "It was applied nowhere for certain." : "Nothing changed anywhere.";
    const why = joinSentences([...failures.values()].map((e) => e.message));
    const error = new HcPartialFailure(`${action} ${subject} failed on ${failed.length} of ${results.length} members: ${why}. ${where}${afterFailure(results)}`, failures, changed);
    error.details.report = report;
    throw error;
  }
  if (waitError) {
    waitError.details.report = report;
    throw waitError;
  }
  return report;
}

/**
 * Write and read back on one member, never throwing. After a failure once a write began,
 * the member is read again and the result says what is true there.
 */
async function actOnMember(member: Member, plan: ActionPlan, options: ServerActionOptions, hold: ServerHold | undefined): Promise<{ result: MemberActionResult; confirmed: boolean; readBack?: Snapshot }> {
  const snap = plan.before.snapshots.get(member.name);
  if (!snap) return { result: { member: member.name, ok: false, error: plan.before.errors.get(member.name)! }, confirmed: false };
  const mine = plan.targets.filter((t) => t.member === member.name);
  const writes: WriteCount = { started: 0 };
  try {
    const forced = await writeOnMember(member, mine, plan.action, options.weight, snap, writes);
    const { confirmed, snapshot, oldWorkersRefused } = await readBack(member, mine, plan.action, plan.read);
    if (snapshot) hold?.record(snapshot);
    for (const message of oldWorkersRefused) options.onWarning?.(message);
    const notes = { forcedFreshChecks: forced.length > 0 ? forced : undefined, oldWorkersRefused: oldWorkersRefused.length > 0 ? oldWorkersRefused : undefined };
    return { result: { member: member.name, ok: true, ...notes }, confirmed, readBack: snapshot };
  } catch (thrown) {
    const error = asHcError(thrown, member.name);
    const failed = { result: { member: member.name, ok: false, error }, confirmed: false };
    if (!mayHaveWritten(writes, error)) return failed;
    let after;
    try {
      after = await readAfterFailure(member, mine, plan.action, plan.read);
    } catch {
      return { ...failed, result: { ...failed.result, stateUnknown: !nothingSent(writes, error) } };
    }
    if (after.inPlace) {
      hold?.record(after.snapshot);
      return { result: { member: member.name, ok: true, stateAfter: after.stateAfter, recoveredFrom: error.message }, confirmed: true, readBack: after.snapshot };
    }
    return { ...failed, result: { ...failed.result, stateAfter: after.stateAfter } };
  }
}

/** " lb2 shows myapp/app1 UP." for each failed member read again, and a warning for those that could not be. */
function afterFailure(results: readonly MemberActionResult[]): string {
  const parts: string[] = [];
  for (const r of results) {
    if (r.ok) continue;
    if (r.stateAfter) parts.push(`${r.member} shows ${Object.entries(r.stateAfter).map(([n, st]) => `${n} ${st}`).join(", ")}.`);
    else if (r.stateUnknown) parts.push(`Whether it changed on ${r.member} is unknown: a write began but the member could not be read afterwards; check with haproxy-cluster status before undoing or retrying.`);
  }
  return parts.length > 0 ? ` ${parts.join(" ")}` : "";
}

/**
 * The wait after a drain: until the servers have no current session and no queued
 * request on any member, then at the deadline what `onSessionsTimeout` says (a shutdown
 * is this pipeline's `shutdown-sessions` action).
 */
export async function waitForSessions(cluster: Cluster, backend: string, servers: string | readonly string[], options: DrainSessionsOptions = {}): Promise<DrainSessionsResult> {
  const names = typeof servers === "string" ? [servers] : [...servers];
  const outcome = await waitForIdle(cluster, backend, names, options);
  if (outcome.drained) return { drained: true };
  if (outcome.policy === "shutdown") await applyServerAction(cluster, backend, names, "shutdown-sessions");
  return { drained: false, deadlineAction: outcome.policy, remaining: outcome.remaining };
}
