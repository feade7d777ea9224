// The wait, the pipeline's last step: until every changed member shows the action's goal
// (for `ready`: serving on the fresh checks the write asked for), and, after a drain,
// until the servers' sessions end. Draining stops new sessions but not persistent ones,
// so the sessions wait has a deadline and a stated choice of what happens then.

import { actionRow, type ActionName } from "../../action-table";
import { HcError } from "../../errors";
import type { Backend } from "../../model/backend";
import type { Snapshot } from "../../model/snapshot";
import { DEFAULTS } from "../../policy";
import { Cluster, type MemberCheck, type WaitOptions } from "../cluster";
import type { ClusterSnapshot } from "../cluster-snapshot";
import type { ServerHold } from "../hold";
import type { ActionPlan, ActionTarget, ServerActionOptions } from "./plan";

/** The wait condition for an action on one member's backend. */
export function stateReached(backend: Backend, names: readonly string[], action: ActionName): MemberCheck {
  const goal = actionRow(action).sets;
  for (const name of names) {
    const s = backend.server(name);
    const ok = goal === "ready" ? s.serving : s.admin === goal;
    if (!ok) return { ok: false, reason: `${backend.name}/${name} is ${s.status.raw}${s.admin !== "ready" ? ` (${s.admin})` : ""}, not yet ${describeGoal(action)}` };
  }
  return { ok: true };
}

/**
 * What a wait after the read back has left to do: nothing for actions without a goal
 * state (weight, shutdown-sessions); drain and maint are reached once the read back saw
 * them confirmed on every member; `ready` waits for the fresh checks the write asked for.
 */
export function waitLeft(action: ActionName, confirmedEverywhere: boolean): "none" | "reached" | "wait" {
  const row = actionRow(action);
  if (row.sets === undefined) return "none";
  return row.holds !== "fresh-checks" && confirmedEverywhere ? "reached" : "wait";
}

/** Waits until every member of `members` shows the plan's goal on every target; returns the read that showed it. */
export async function waitForGoal(plan: ActionPlan, members: readonly string[], options: ServerActionOptions, hold: ServerHold | undefined, subject: string): Promise<ClusterSnapshot> {
  const waiting = new Cluster(plan.cluster.members.filter((m) => members.includes(m.name)));
  const { last } = await waiting.waitUntil((snap) => targetsReached(snap, plan.targets, plan.action), {
    minChecks: 1,
    intervalSeconds: options.intervalSeconds ?? DEFAULTS.actionIntervalSeconds,
    timeoutSeconds: options.timeoutSeconds ?? DEFAULTS.actionTimeoutSeconds,
    snapshot: plan.read,
    backends: plan.backends,
    description: `${subject} to be ${describeGoal(plan.action)} on every member`,
    onProgress: options.onProgress,
    onTransition: options.onTransition,
    hold,
    signal: options.signal,
  });
  return last;
}

/**
 * Old workers (`… old worker PID`, master sockets after a reload) are no target: they
 * stopped their proxies, take no new connection or request, and refuse every change, so
 * their admin state never holds a wait; the sessions wait waits for what they still hold.
 */
function targetsReached(snap: Snapshot, targets: readonly ActionTarget[], action: ActionName): MemberCheck {
  for (const t of targets) {
    if (t.member !== snap.member) continue;
    const check = stateReached(snap.backend(t.backend), t.servers, action);
    if (!check.ok) return check;
  }
  return { ok: true };
}

/** The state waited for, in words: the action table's goal. */
function describeGoal(action: ActionName): string {
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

/** The sessions wait's outcome before any shutdown: drained, or what is left at the deadline and what to do. */
export type IdleOutcome = { drained: true } | { drained: false; policy: "proceed" | "shutdown"; remaining: Record<string, number> };

/**
 * Waits until the servers have no current session and no queued request on any member.
 * At the deadline: throws for `fail` (or when a member could not be read), otherwise reads
 * the sessions left and returns the policy for the caller to carry out.
 */
export async function waitForIdle(cluster: Cluster, backend: string, names: readonly string[], options: DrainSessionsOptions): Promise<IdleOutcome> {
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
      intervalSeconds: options.intervalSeconds ?? DEFAULTS.actionIntervalSeconds,
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
    return { drained: false, policy, remaining };
  }
}
