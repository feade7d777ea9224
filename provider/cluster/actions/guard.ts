// The guard, the pipeline's second step. The capacity guard: the one rule every way of taking servers out goes through (the
// CLI's drain and maint, host-wide actions, applyServerAction, ServerDrain). After the
// removal at least `minOtherServing` other servers must keep serving on every member;
// a member that cannot be read fails closed; `force` overrides the count, never an unread member.

import { actionRow, type ActionName } from "../../action-table";
import { ERROR_CODES } from "../../error-codes";
import { HcError } from "../../errors";
import { DEFAULTS } from "../../policy";
import type { ClusterSnapshot } from "../cluster-snapshot";
import { takeProcessTurns } from "./process-turns";

/** Other servers that must keep serving on every member after a removal (policy.ts). */
export const DEFAULT_MIN_OTHER_SERVING = DEFAULTS.minOtherServing;

export interface CapacityGuardOptions {
  /** Other servers that must keep serving on every member. Default {@link DEFAULTS.minOtherServing}. */
  minOtherServing?: number;
  /** Skip the guard: take the servers out whatever is left. Default false. */
  force?: boolean;
}

/** Servers of one backend that are about to be taken out. */
export interface Removal {
  /** The member it happens on; default every member. */
  member?: string;
  backend: string;
  servers: readonly string[];
}

/**
 * The step: an action that takes servers out (the action table's `takesOut`) passes the
 * capacity guard on the plan's read; the others pass as they are.
 */
export function guardAction(action: ActionName, snapshot: ClusterSnapshot, removals: readonly Removal[], options: CapacityGuardOptions = {}, members?: readonly string[]): void {
  if (actionRow(action).takesOut) checkCapacity(snapshot, removals, options, members);
}

/**
 * Throws HC_CAPACITY_GUARD when, on any of `members` (default: every member of the
 * snapshot), a removal would leave fewer than `minOtherServing` other servers serving
 * in its backend, and the member's own error when it could not be read. Servers that
 * are not serving take no capacity with them and are never refused.
 */
export function checkCapacity(snapshot: ClusterSnapshot, removals: readonly Removal[], options: CapacityGuardOptions = {}, members: readonly string[] = snapshot.members): void {
  if (options.force) return;
  const min = options.minOtherServing ?? DEFAULT_MIN_OTHER_SERVING;
  for (const member of members) {
    const error = snapshot.errors.get(member);
    if (error) {
      // Advice by code, and never force: it cannot change a member it cannot read. A
      // misspelt name (or a bug) is no capacity question: it is passed on as it is.
      const advice = ERROR_CODES[error.code].guardAdvice;
      if (advice === undefined) throw error;
      const what = [...new Set(removals.filter((r) => r.member === undefined || r.member === member).map(describe))].join(", ");
      throw new HcError(error.code, `refusing to take ${what} out: cannot check capacity on ${member} (${error.message.replace(/\.$/, "")}); ${advice}.`, {
        member,
      });
    }
    const snap = snapshot.snapshots.get(member)!;
    for (const removal of removals) {
      if (removal.member !== undefined && removal.member !== member) continue;
      const be = snap.backend(removal.backend);
      const leaving = new Set(removal.servers);
      // Only serving servers are guarded: taking out one that is down loses nothing.
      if (!removal.servers.some((name) => be.server(name).serving)) continue;
      const others = be.capacityServers.filter((s) => !leaving.has(s.name) && s.serving).length;
      if (others < min) {
        throw new HcError(
          "HC_CAPACITY_GUARD",
          `refusing to take ${describe(removal)} out: on ${member} only ${others} other server(s) would keep serving, below minOtherServing ${min}; ${ERROR_CODES.HC_CAPACITY_GUARD.guardAdvice}.`,
          { member, backend: removal.backend, server: removal.servers.join(","), othersServing: others, minOtherServing: min },
        );
      }
    }
  }
}

/** The last removal of each `member backend` of this process, in the order they asked. */
const removalTails = new Map<string, Promise<void>>();

/**
 * Runs `job` (read, guard, write, read back) once every removal asked for earlier on the
 * same member's backend has been written and read back: in this process first, then in
 * the others of this machine (process-turns.ts; `onWarning` is told when one holds it).
 * Without turns, removals started together (Pulumi creates and deletes resources in
 * parallel; a program may `Promise.all` its drains; two shells) would each read the
 * others still serving and all pass the guard, leaving fewer than `minOtherServing`.
 */
export async function inTurn<T>(removals: readonly Removal[], members: readonly string[], job: () => Promise<T>, onWarning?: (message: string) => void, signal?: AbortSignal): Promise<T> {
  const turns = removals.flatMap((r) => (r.member !== undefined ? [r.member] : members).map((member) => ({ member, backend: r.backend })));
  const keys = [...new Set(turns.map((t) => `${t.member} ${t.backend}`))];
  const earlier = keys.flatMap((k) => removalTails.get(k) ?? []);
  const run = Promise.all(earlier).then(async () => {
    const release = await takeProcessTurns(turns, onWarning, signal);
    try {
      return await job();
    } finally {
      release();
    }
  });
  const tail = run.then(
    () => undefined,
    () => undefined,
  );
  for (const k of keys) removalTails.set(k, tail);
  void tail.then(() => {
    for (const k of keys) if (removalTails.get(k) === tail) removalTails.delete(k);
  });
  return run;
}

function describe(removal: Removal): string {
  return `${removal.backend}/${removal.servers.join(",")}`;
}
