// Changing servers on every member at once, checked: each member's answer, then a read
// back of the new state, then (on request) waiting until every member shows it. A
// member that did not change is never reported as changed, and a partial result says
// exactly where the servers are out of rotation.

import { actionRow, type ActionName } from "../action-table";
import { isRequestError } from "../error-codes";
import { HcError, HcPartialFailure, asHcError, joinSentences } from "../errors";
import { checkName } from "../names";
import type { Backend } from "../model/backend";
import type { Member, SnapshotOptions } from "../model/member";
import type { Server } from "../model/server";
import type { Snapshot } from "../model/snapshot";
import { DEFAULTS } from "../policy";
import { formatWeight, type Weight } from "../transport/types";
import { checkCapacity, type CapacityGuardOptions } from "./capacity-guard";
import { Cluster, type MemberCheck, type WaitOptions } from "./cluster";
import { ClusterSnapshot } from "./cluster-snapshot";
import { backOnFreshChecks } from "./fresh-checks";
import { ServerHold, type ServerHoldOptions } from "./hold";
import { checkNumericOptions } from "./options";

/** What a user can ask of servers on every member. */
/** Every action of the action table (provider/action-table.ts). */
export type ClusterServerAction = ActionName;

export interface ServerActionOptions extends CapacityGuardOptions {
  /** Wait until every member shows the new state (for `ready`: serving on fresh checks). */
  wait?: boolean;
  /** Deadline of that wait, seconds. Default {@link DEFAULTS.actionTimeoutSeconds}. */
  timeoutSeconds?: number;
  /** Seconds between reads while waiting. Default 0.5. */
  intervalSeconds?: number;
  /** New weight, for `weight`. */
  weight?: Weight;
  onProgress?: WaitOptions["onProgress"];
  onTransition?: WaitOptions["onTransition"];
  /** Reload warnings while waiting: "lb2 reloaded: …; myapp/app1 was held drained there: drained again." */
  onWarning?: (message: string) => void;
  /** While waiting, apply the state again on a member that was reloaded (see ServerHold). Default true. */
  holdAcrossReloads?: boolean;
  /** Servers this process added or moved, for the hold to add again or set back after a reload (ServerHoldOptions). */
  runtimeServers?: ServerHoldOptions["runtimeServers"];
  /** Ends the wait early, throwing the signal's reason; what was applied stays applied. */
  signal?: AbortSignal;
  /** A read of the members just taken (with the backends acted on), used instead of reading again. */
  snapshot?: ClusterSnapshot;
}

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
}

/**
 * Applies `action` to the servers of `backend` on every member at once.
 *
 * Each member costs three round trips: one read (names checked, capacity guarded, the
 * state `ready` needs), the write, one read back. Actions that take servers out
 * (`drain`, `maint`, `disable`) pass the capacity guard first (see capacity-guard.ts):
 * nothing changes anywhere unless at least `minOtherServing` other servers keep serving
 * on every member; `force` overrides.
 *
 * `ready` (and `enable`) put servers back on fresh evidence: a server with health
 * checks that is coming back from drain or maint first has its health verdict forced
 * down, so that it serves again only after `rise` checks made after this call. (HAProxy
 * keeps its old UP verdict when a restart is shorter than `fall` × `inter`; a plain
 * `state ready` would send traffic to an app that is still warming up.) Servers
 * without health checks are never forced down: nothing would bring them back.
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
  const targets = cluster.memberNames.map((member) => ({ member, backend, servers: names }));
  const report = await applyToTargets(cluster, targets, action, options, `${backend}/${names.join(",")}`);
  return { ...report, backend, servers: names };
}

/** One backend's servers on one member: a line of a host-wide plan. */
export interface ActionTarget {
  member: string;
  backend: string;
  servers: string[];
}

/**
 * The engine under applyServerAction and host-wide actions: every target on its member,
 * members at once, after one read of each member (or `options.snapshot`) and the guard.
 */
export async function applyToTargets(
  cluster: Cluster,
  targets: readonly ActionTarget[],
  action: ClusterServerAction,
  options: ServerActionOptions,
  subject: string,
): Promise<ServerActionReport> {
  checkArguments(targets, action, options);
  const involved = cluster.members.filter((m) => targets.some((t) => t.member === m.name));
  refuseWhatSomeMemberCannot(involved, targets, action);
  const sub = involved.length === cluster.members.length ? cluster : new Cluster(involved);
  const backends = [...new Set(targets.map((t) => t.backend))];
  const read: SnapshotOptions = backends.length === 1 ? { backend: backends[0] } : { types: ["backend", "server"] };
  // The statistics alone answer everything decided before the write (names, serving, maint):
  // the admin bits of `show servers state` only matter for the read back.
  // (The process identity matters only for the read back, which the hold records.)
  const before = options.snapshot ?? (await sub.snapshot({ ...read, exactAdminState: false, processIdentity: false }));
  if (actionRow(action).takesOut) checkCapacity(before, targets, options, sub.memberNames);
  const held = actionRow(action).holds;
  const hold = held && options.holdAcrossReloads !== false ? new ServerHold(sub.members, targets, held, { onWarning: options.onWarning, runtimeServers: options.runtimeServers }) : undefined;

  const settled = await sub.mapSettled((member) => actOnMember(member, targets.filter((t) => t.member === member.name), action, options, before, read, hold));
  const results = [...settled].map(([member, r]): MemberActionResult => (r.ok ? r.value.result : { member, ok: false, error: r.error }));
  const changed = results.filter((r) => r.ok).map((r) => r.member);
  const failed = results.filter((r) => !r.ok).map((r) => r.member);
  const allServers = [...new Set(targets.flatMap((t) => t.servers))];
  const readBacks = [...settled].map(([name, r]) => [name, r.ok && r.value.readBack ? { ok: true as const, value: r.value.readBack } : undefined] as const);
  const readBack = readBacks.every(([, r]) => r !== undefined) ? ClusterSnapshot.of(readBacks as Array<readonly [string, { ok: true; value: Snapshot }]>) : undefined;
  const report: ServerActionReport = { action, backend: backends.join(","), servers: allServers, targets: [...targets], results, changed, failed, waited: false, hold, readBack };

  let waitError: HcError | undefined;
  if (options.wait && changed.length > 0 && action !== "weight" && action !== "shutdown-sessions") {
    // drain and maint are reached when HAProxy shows them, which the read back already saw.
    const seen = action !== "ready" && action !== "enable" && [...settled.values()].every((r) => r.ok && r.value.confirmed);
    if (seen) report.waited = true;
    else {
      const waiting = new Cluster(sub.members.filter((m) => changed.includes(m.name)));
      try {
        await waiting.waitUntil((snap) => targetsReached(snap, targets, action), {
          minChecks: 1,
          intervalSeconds: options.intervalSeconds ?? 0.5,
          timeoutSeconds: options.timeoutSeconds ?? DEFAULTS.actionTimeoutSeconds,
          snapshot: read,
          backends,
          description: `${subject} to be ${describeGoal(action)} on every member`,
          onProgress: options.onProgress,
          onTransition: options.onTransition,
          hold,
          signal: options.signal,
        });
        report.waited = true;
      } catch (error) {
        // Stopped by the caller: its reason, as given, not a member's failure.
        if (options.signal?.aborted) throw options.signal.reason;
        waitError = asHcError(error, changed.join(", "));
      }
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
 * A bad argument is a spec error here, before any member is asked: HAProxy would only
 * refuse it later, and the refusal would read as a member's failure.
 */
function checkArguments(targets: readonly ActionTarget[], action: ClusterServerAction, options: ServerActionOptions): void {
  checkNumericOptions(action, options, ["timeoutSeconds", "intervalSeconds"]);
  if (action === "weight") {
    if (options.weight === undefined) throw new HcError("HC_BAD_SPEC", "set weight needs a weight (0-256 or N%).");
    try {
      formatWeight(options.weight);
    } catch (error) {
      throw new HcError("HC_BAD_SPEC", `${(error as Error).message}, not ${JSON.stringify(options.weight)}.`, { weight: options.weight });
    }
  }
  if (targets.length === 0) throw new HcError("HC_BAD_SPEC", `${action} needs at least one server on one member.`);
  for (const t of targets) {
    if (t.servers.length === 0) throw new HcError("HC_BAD_SPEC", `${action} needs at least one server of ${t.backend}.`, { backend: t.backend });
    checkName(t.backend, "backend");
    for (const server of t.servers) checkName(server, "server");
  }
}

/** The wait condition for an action on one member's backend. */
export function stateReached(backend: Backend, names: readonly string[], action: ClusterServerAction): MemberCheck {
  const goal = actionRow(action).sets;
  for (const name of names) {
    const s = backend.server(name);
    const ok = goal === "ready" ? s.serving : s.admin === goal;
    if (!ok) return { ok: false, reason: `${backend.name}/${name} is ${s.status.raw}${s.admin !== "ready" ? ` (${s.admin})` : ""}, not yet ${describeGoal(action)}` };
  }
  return { ok: true };
}

/**
 * Old workers (`… old worker PID`, master sockets after a reload) are no target: they
 * stopped their proxies, take no new connection or request, and refuse every change, so
 * their admin state never holds a wait; `waitForSessions` waits for what they still hold.
 */
function targetsReached(snap: Snapshot, targets: readonly ActionTarget[], action: ClusterServerAction): MemberCheck {
  for (const t of targets) {
    if (t.member !== snap.member) continue;
    const check = stateReached(snap.backend(t.backend), t.servers, action);
    if (!check.ok) return check;
  }
  return { ok: true };
}

/** Errors raised before a connection was made: nothing reached HAProxy. */
const NEVER_CONNECTED = new Set(["ECONNREFUSED", "ENOENT", "ENOTFOUND", "EAI_AGAIN", "EACCES", "EHOSTUNREACH", "EAGAIN"]);

/**
 * The action on one member's targets, never throwing. After a failure once a write began
 * (HAProxy may have applied it and the reply been lost), the member is read again and
 * the result says what is true there: the change found in place counts as done.
 */
async function actOnMember(
  member: Member,
  mine: readonly ActionTarget[],
  action: ClusterServerAction,
  options: ServerActionOptions,
  before: ClusterSnapshot,
  read: SnapshotOptions,
  hold: ServerHold | undefined,
): Promise<{ result: MemberActionResult; confirmed: boolean; readBack?: Snapshot }> {
  const snap = before.snapshots.get(member.name);
  if (!snap) return { result: { member: member.name, ok: false, error: before.errors.get(member.name)! }, confirmed: false };
  const writes = { started: 0 };
  try {
    const forced: string[] = [];
    for (const t of mine) forced.push(...(await applyOnMember(member, t.backend, t.servers, action, options, snap, writes)));
    const { confirmed, snapshot, oldWorkersRefused } = await verifyOnMember(member, mine, action, read);
    if (snapshot) hold?.record(snapshot);
    for (const message of oldWorkersRefused) options.onWarning?.(message);
    const notes = { forcedFreshChecks: forced.length > 0 ? forced : undefined, oldWorkersRefused: oldWorkersRefused.length > 0 ? oldWorkersRefused : undefined };
    return { result: { member: member.name, ok: true, ...notes }, confirmed, readBack: snapshot };
  } catch (thrown) {
    const error = asHcError(thrown, member.name);
    const failed = { result: { member: member.name, ok: false, error }, confirmed: false };
    // A refused request (unknown name, read-only member) changed nothing: no need to look.
    if (writes.started === 0 || isRequestError(error.code)) return failed;
    let after: Snapshot;
    try {
      after = await member.snapshot(read);
    } catch {
      const nothingSent = writes.started === 1 && NEVER_CONNECTED.has(String(error.details.errno ?? ""));
      return { ...failed, result: { ...failed.result, stateUnknown: !nothingSent } };
    }
    const goal = actionRow(action).sets;
    const stateAfter: Record<string, string> = {};
    let inPlace = goal !== undefined;
    for (const t of mine) {
      for (const name of t.servers) {
        const s = after.backend(t.backend).server(name);
        stateAfter[`${t.backend}/${name}`] = describeState(s);
        if (!s.adminStateKnown || s.admin !== goal) inPlace = false;
      }
    }
    if (inPlace) {
      hold?.record(after);
      return { result: { member: member.name, ok: true, stateAfter, recoveredFrom: error.message }, confirmed: true, readBack: after };
    }
    return { ...failed, result: { ...failed.result, stateAfter } };
  }
}

/**
 * Capabilities before anything is read or written: a member that cannot make this kind of
 * change (a stats page sets no weights, a saved file takes no change) refuses the whole
 * action, so that no other member changes alone.
 */
function refuseWhatSomeMemberCannot(members: readonly Member[], targets: readonly ActionTarget[], action: ClusterServerAction): void {
  const change = action === "weight" ? "weight" : "state";
  const refusals = members.flatMap((m) => {
    const refusal = m.refusal(change, targets.find((t) => t.member === m.name)!.backend);
    return refusal ? [refusal] : [];
  });
  if (refusals.length === 0) return;
  throw new HcError(refusals[0]!.code, `${joinSentences(refusals.map((e) => e.message))} Nothing changed on any member.`, {
    members: refusals.map((e) => e.details.member),
  });
}

/** "DRAIN", or "DOWN (drain)" when the status hides the admin state. */
function describeState(server: Server): string {
  const shown = server.status.raw.split(" ")[0]!.toLowerCase();
  return server.admin !== "ready" && shown !== server.admin ? `${server.status.raw} (${server.admin})` : server.status.raw;
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

async function applyOnMember(
  member: Member,
  backend: string,
  names: string[],
  action: ClusterServerAction,
  options: ServerActionOptions,
  before: Snapshot,
  writes: { started: number },
): Promise<string[]> {
  // Counts each call that may write, before it starts.
  const write = <T>(call: () => Promise<T>): Promise<T> => {
    writes.started++;
    return call();
  };
  switch (action) {
    case "weight":
      await write(() => member.setWeight(backend, names, options.weight!, before));
      return [];
    case "shutdown-sessions":
      await write(() => member.shutdownSessions(backend, names, before));
      return [];
    case "ready":
    case "enable":
      return backOnFreshChecks(member, backend, names, before, { evenIfReady: false, write });
    default:
      await write(() => member.setState(backend, names, action, before));
      return [];
  }
}

/**
 * Reads the state back: HAProxy answering "done" is not the same as the server changing.
 * `confirmed` when every server's admin state is known and is the goal; `snapshot` is the read.
 */
async function verifyOnMember(
  member: Member,
  targets: readonly ActionTarget[],
  action: ClusterServerAction,
  read: SnapshotOptions,
): Promise<{ confirmed: boolean; snapshot?: Snapshot; oldWorkersRefused: string[] }> {
  const goal = actionRow(action).sets;
  if (!goal) return { confirmed: true, oldWorkersRefused: [] };
  const snap = await member.snapshot(read);
  let confirmed = true;
  // The current worker must show the change. Old workers after a reload refuse it (see
  // oldWorkerRefusal); they take nothing new, so the change counts as made without them.
  for (const t of targets) {
    const be = snap.backend(t.backend);
    for (const name of t.servers) {
      const s = be.server(name);
      if (!s.adminStateKnown) confirmed = false;
      else if (s.admin !== goal) {
        throw new HcError("HC_ACTION_REFUSED", `${member.name}: HAProxy accepted ${action} for ${t.backend}/${name} but it still shows ${s.status.raw} (${s.admin}); check for a tracked server or another operator.`, {
          member: member.name,
          backend: t.backend,
          server: name,
        });
      }
    }
  }
  const oldWorkersRefused: string[] = [];
  for (const old of snap.oldWorkers) {
    for (const t of targets) {
      for (const name of t.servers) {
        const s = old.backend(t.backend).server(name);
        if (s.admin !== goal) oldWorkersRefused.push(oldWorkerRefusal(old.member, action, `${t.backend}/${name}`, s));
      }
    }
  }
  return { confirmed, snapshot: snap, oldWorkersRefused };
}

/**
 * Every HAProxy tested (2.6, 3.0, 3.2, 3.4) answers "Proxy is disabled." to any change on
 * an old worker: it stopped its proxies when the reload's new worker took over, and the
 * transport lets only that refusal through. Such a worker accepts no new connection,
 * answers its in-flight requests with `Connection: close`, and leaves when they end.
 */
function oldWorkerRefusal(worker: string, action: ClusterServerAction, server: string, s: Server): string {
  const sessions = s.sessions ?? 0;
  return `${worker} refused ${action} of ${server}, which stays ${describeState(s)} there: HAProxy takes no change on a worker that stopped its proxies at a reload ("Proxy is disabled."); it takes no new connections or requests, and leaves once the ${sessions} session${sessions === 1 ? "" : "s"} it holds on ${server} and its other connections end.`;
}

/** The state waited for, in words: the action table's goal. */
function describeGoal(action: ClusterServerAction): string {
  return actionRow(action).goal ?? action;
}

/** What happens when a drained server's sessions outlast their deadline (one name everywhere: `onSessionsTimeout`). */
export type SessionsTimeoutPolicy = "fail" | "proceed" | "shutdown";
/** @deprecated The old name of SessionsTimeoutPolicy. */
export type SessionsDeadlinePolicy = SessionsTimeoutPolicy;

export interface DrainSessionsOptions {
  /** Deadline for sessions and queue to reach 0, seconds. Default {@link DEFAULTS.sessionsTimeoutSeconds}. */
  timeoutSeconds?: number;
  intervalSeconds?: number;
  /**
   * What happens at the deadline: `fail` (throw HC_WAIT_DEADLINE; the servers stay
   * drained), `proceed` (return, reporting the sessions left), `shutdown` (kill the
   * remaining sessions with `shutdown sessions server`, then return). Default `fail`.
   */
  onSessionsTimeout?: SessionsTimeoutPolicy;
  /** @deprecated The old name of `onSessionsTimeout`; still taken. */
  onTimeout?: SessionsTimeoutPolicy;
  onProgress?: WaitOptions["onProgress"];
  /** Keeps the servers held across reloads while waiting: the `hold` of the drain's report. */
  hold?: ServerHold;
  /** The drain's read back (its report's `readBack`): the first poll, instead of reading again. */
  firstRead?: ClusterSnapshot;
  signal?: AbortSignal;
}

export interface DrainSessionsResult {
  /** True when every member reached 0 sessions and 0 queued requests in time. */
  drained: boolean;
  /** What `onSessionsTimeout` did at the deadline, when it was reached. */
  deadlineAction?: "proceed" | "shutdown";
  /** Sessions still open per member at the deadline. */
  remaining?: Record<string, number>;
}

/**
 * Waits until the servers have no current session and no queued request on any member.
 * Draining stops new sessions but not persistent ones, so this needs a deadline and a
 * stated choice of what happens then (`onSessionsTimeout`).
 */
export async function waitForSessions(cluster: Cluster, backend: string, servers: string | readonly string[], options: DrainSessionsOptions = {}): Promise<DrainSessionsResult> {
  const names = typeof servers === "string" ? [servers] : [...servers];
  const idle = (snap: Snapshot): MemberCheck => {
    const be = snap.backend(backend);
    const busy = names
      .map((n) => be.server(n))
      .filter((s) => (s.sessions ?? 0) > 0 || (s.queue ?? 0) > 0)
      .map((s) => `${backend}/${s.name} has ${s.sessions ?? 0} sessions, ${s.queue ?? 0} queued`);
    return busy.length === 0 ? { ok: true } : { ok: false, reason: busy.join(", ") };
  };
  try {
    await cluster.waitUntil(idle, {
      minChecks: 1,
      intervalSeconds: options.intervalSeconds ?? 0.5,
      timeoutSeconds: options.timeoutSeconds ?? DEFAULTS.sessionsTimeoutSeconds,
      snapshot: { backend },
      backends: [backend],
      description: `${backend}/${names.join(",")} to have no sessions`,
      onProgress: options.onProgress,
      hold: options.hold,
      firstRead: options.firstRead,
      signal: options.signal,
    });
    return { drained: true };
  } catch (error) {
    if (!(error instanceof HcError) || error.code !== "HC_WAIT_DEADLINE") throw error;
    const policy = options.onSessionsTimeout ?? options.onTimeout ?? "fail";
    if (policy === "fail" || (error.details.unreadable as string[]).length > 0) throw error;
    const snap = await cluster.snapshot({ backend });
    const remaining: Record<string, number> = {};
    for (const [member, s] of snap.snapshots) {
      remaining[member] = names.reduce((acc, n) => acc + (s.backend(backend).server(n).sessions ?? 0), 0);
    }
    if (policy === "shutdown") {
      await applyServerAction(cluster, backend, names, "shutdown-sessions");
      return { drained: false, deadlineAction: "shutdown", remaining };
    }
    return { drained: false, deadlineAction: "proceed", remaining };
  }
}
