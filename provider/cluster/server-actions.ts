// Changing servers on every member at once, checked: each member's answer, then a read
// back of the new state, then (on request) waiting until every member shows it. A
// member that did not change is never reported as changed, and a partial result says
// exactly where the servers are out of rotation.

import { HcError, HcPartialFailure, asHcError, joinSentences } from "../errors";
import type { Backend } from "../model/backend";
import type { Member, ServerAction } from "../model/member";
import type { Server } from "../model/server";
import type { Snapshot } from "../model/snapshot";
import type { Weight } from "../transport/types";
import { Cluster, type MemberCheck, type WaitOptions } from "./cluster";

/** What a user can ask of servers on every member. */
export type ClusterServerAction = ServerAction | "weight" | "shutdown-sessions";

export interface ServerActionOptions {
  /** Wait until every member shows the new state (for `ready`: serving on fresh checks). */
  wait?: boolean;
  /** Deadline of that wait, seconds. Default 120. */
  timeoutSeconds?: number;
  /** Seconds between reads while waiting. Default 0.5. */
  intervalSeconds?: number;
  /** New weight, for `weight`. */
  weight?: Weight;
  onProgress?: WaitOptions["onProgress"];
  onTransition?: WaitOptions["onTransition"];
  signal?: AbortSignal;
}

export interface MemberActionResult {
  member: string;
  ok: boolean;
  error?: HcError;
  /** Servers whose health verdict was forced down so that only fresh checks bring them back (`ready`). */
  forcedFreshChecks?: string[];
}

export interface ServerActionReport {
  action: ClusterServerAction;
  backend: string;
  servers: string[];
  results: MemberActionResult[];
  /** Members where the action was applied and read back. */
  changed: string[];
  failed: string[];
  /** Whether the wait (if asked) finished on every changed member. */
  waited: boolean;
}

const EXPECTED_ADMIN: Partial<Record<ClusterServerAction, Server["admin"]>> = {
  ready: "ready",
  enable: "ready",
  drain: "drain",
  maint: "maint",
  disable: "maint",
};

/**
 * Applies `action` to the servers of `backend` on every member at once.
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
  const settled = await cluster.mapSettled(async (member) => {
    const forced = await applyOnMember(member, backend, names, action, options);
    await verifyOnMember(member, backend, names, action);
    return forced;
  });

  const results: MemberActionResult[] = [];
  for (const [member, r] of settled) {
    results.push(r.ok ? { member, ok: true, forcedFreshChecks: r.value.length > 0 ? r.value : undefined } : { member, ok: false, error: r.error });
  }
  const changed = results.filter((r) => r.ok).map((r) => r.member);
  const failed = results.filter((r) => !r.ok).map((r) => r.member);
  const report: ServerActionReport = { action, backend, servers: names, results, changed, failed, waited: false };

  let waitError: HcError | undefined;
  if (options.wait && changed.length > 0 && action !== "weight" && action !== "shutdown-sessions") {
    const sub = new Cluster(cluster.members.filter((m) => changed.includes(m.name)));
    try {
      await sub.waitUntil((snap) => stateReached(snap.backend(backend), names, action), {
        minChecks: 1,
        intervalSeconds: options.intervalSeconds ?? 0.5,
        timeoutSeconds: options.timeoutSeconds ?? 120,
        snapshot: { backend },
        backends: [backend],
        description: `${backend}/${names.join(",")} to be ${describeGoal(action)} on every member`,
        onProgress: options.onProgress,
        onTransition: options.onTransition,
        signal: options.signal,
      });
      report.waited = true;
    } catch (error) {
      waitError = asHcError(error, changed.join(", "));
    }
  }

  if (failed.length > 0) {
    const failures = new Map(results.filter((r) => !r.ok).map((r) => [r.member, r.error!] as const));
    const where = changed.length > 0 ? `It was applied on ${changed.join(", ")} only.` : "Nothing changed anywhere.";
    const why = joinSentences([...failures.values()].map((e) => e.message));
    const error = new HcPartialFailure(`${action} ${backend}/${names.join(",")} failed on ${failed.length} of ${results.length} members: ${why}. ${where}`, failures, changed);
    error.details.report = report;
    throw error;
  }
  if (waitError) {
    waitError.details.report = report;
    throw waitError;
  }
  return report;
}

/** The wait condition for an action on one member's backend. */
export function stateReached(backend: Backend, names: readonly string[], action: ClusterServerAction): MemberCheck {
  const goal = EXPECTED_ADMIN[action];
  for (const name of names) {
    const s = backend.server(name);
    const ok = goal === "ready" ? s.serving : s.admin === goal;
    if (!ok) return { ok: false, reason: `${backend.name}/${name} is ${s.status.raw}${s.admin !== "ready" ? ` (${s.admin})` : ""}, not yet ${describeGoal(action)}` };
  }
  return { ok: true };
}

async function applyOnMember(member: Member, backend: string, names: string[], action: ClusterServerAction, options: ServerActionOptions): Promise<string[]> {
  switch (action) {
    case "weight":
      if (options.weight === undefined) throw new HcError("HC_BAD_SPEC", "set weight needs a weight (0-256 or N%).");
      await member.setWeight(backend, names, options.weight);
      return [];
    case "shutdown-sessions":
      await member.shutdownSessions(backend, names);
      return [];
    case "ready":
    case "enable": {
      let be = (await member.snapshot({ backend })).backend(backend);
      // Leaving maint, HAProxy resets health to `rise` ("start OK but check immediately",
      // src/server.c) and serves at once, undoing a forced-down verdict; in maint the CSV
      // also hides the checks. Step through drain (no new traffic) and force down there.
      const inMaint = names.filter((n) => be.server(n).admin === "maint");
      if (inMaint.length > 0) {
        await member.drain(backend, inMaint);
        be = (await member.snapshot({ backend })).backend(backend);
      }
      // Over the stats page a drained server that is down reads as ready (adminStateKnown
      // false); forcing a down server down is harmless, so treat "unknown" as "not ready".
      const toForce = names.filter((n) => {
        const s = be.server(n);
        return s.hasHealthCheck && (s.admin !== "ready" || !s.adminStateKnown);
      });
      if (toForce.length > 0) await member.forceHealthDown(backend, toForce);
      await member.ready(backend, names);
      return toForce;
    }
    default:
      await member.setState(backend, names, action);
      return [];
  }
}

/** Reads the state back: HAProxy answering "done" is not the same as the server changing. */
async function verifyOnMember(member: Member, backend: string, names: string[], action: ClusterServerAction): Promise<void> {
  const goal = EXPECTED_ADMIN[action];
  if (!goal) return;
  const be = (await member.snapshot({ backend })).backend(backend);
  for (const name of names) {
    const s = be.server(name);
    if (s.adminStateKnown && s.admin !== goal) {
      throw new HcError("HC_ACTION_REFUSED", `${member.name}: HAProxy accepted ${action} for ${backend}/${name} but it still shows ${s.status.raw} (${s.admin}); check for a tracked server or another operator.`, {
        member: member.name,
        backend,
        server: name,
      });
    }
  }
}

function describeGoal(action: ClusterServerAction): string {
  const goal = EXPECTED_ADMIN[action];
  return goal === "ready" ? "serving on fresh health checks" : goal === "drain" ? "drained" : goal === "maint" ? "in maintenance" : action;
}

export type SessionsDeadlinePolicy = "fail" | "proceed" | "shutdown";

export interface DrainSessionsOptions {
  /** Deadline for sessions and queue to reach 0, seconds. Default 60. */
  timeoutSeconds?: number;
  intervalSeconds?: number;
  /**
   * What happens at the deadline: `fail` (throw HC_WAIT_DEADLINE; the servers stay
   * drained), `proceed` (return, reporting the sessions left), `shutdown` (kill the
   * remaining sessions with `shutdown sessions server`, then return). Default `fail`.
   */
  onTimeout?: SessionsDeadlinePolicy;
  onProgress?: WaitOptions["onProgress"];
  signal?: AbortSignal;
}

export interface DrainSessionsResult {
  /** True when every member reached 0 sessions and 0 queued requests in time. */
  drained: boolean;
  /** What happened at the deadline, when it was reached. */
  deadlineAction?: "proceed" | "shutdown";
  /** Sessions still open per member at the deadline. */
  remaining?: Record<string, number>;
}

/**
 * Waits until the servers have no current session and no queued request on any member.
 * Draining stops new sessions but not persistent ones, so this needs a deadline and a
 * stated choice of what happens then (`onTimeout`).
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
      timeoutSeconds: options.timeoutSeconds ?? 60,
      snapshot: { backend },
      backends: [backend],
      description: `${backend}/${names.join(",")} to have no sessions`,
      onProgress: options.onProgress,
      signal: options.signal,
    });
    return { drained: true };
  } catch (error) {
    if (!(error instanceof HcError) || error.code !== "HC_WAIT_DEADLINE") throw error;
    const policy = options.onTimeout ?? "fail";
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
