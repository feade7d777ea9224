// The read back, the pipeline's fourth step: HAProxy answering "done" is not the same as
// the server changing, so each member is read again and must show the action's goal. After
// a failed write the same read says what is true there: the change found in place counts
// as done, and otherwise the state after is reported.

import { actionRow, type ActionName } from "../../action-table";
import { HcError } from "../../errors";
import type { Member, SnapshotOptions } from "../../model/member";
import type { Server } from "../../model/server";
import type { Snapshot } from "../../model/snapshot";
import type { ActionTarget } from "./plan";

export interface ReadBack {
  /** Every server's admin state is known and is the goal. */
  confirmed: boolean;
  /** The read; absent for actions without a goal state (weight, shutdown-sessions). */
  snapshot?: Snapshot;
  /** Old workers (master sockets, after a reload) that refused the change, one sentence each. */
  oldWorkersRefused: string[];
}

/**
 * Reads the state back. Throws HC_ACTION_REFUSED when the current worker shows another
 * state than the goal (a tracked server, another operator).
 */
export async function readBack(member: Member, targets: readonly ActionTarget[], action: ActionName, read: SnapshotOptions): Promise<ReadBack> {
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

export interface StateAfterFailure {
  snapshot: Snapshot;
  /** Each `backend/server`'s status as read (e.g. `DRAIN`, `DOWN (drain)`). */
  stateAfter: Record<string, string>;
  /** Every server's admin state is known and is the goal: the write landed after all. */
  inPlace: boolean;
}

/** Reads a member again after a failed write; throws when it cannot be read. */
export async function readAfterFailure(member: Member, targets: readonly ActionTarget[], action: ActionName, read: SnapshotOptions): Promise<StateAfterFailure> {
  const snapshot = await member.snapshot(read);
  const goal = actionRow(action).sets;
  const stateAfter: Record<string, string> = {};
  let inPlace = goal !== undefined;
  for (const t of targets) {
    for (const name of t.servers) {
      const s = snapshot.backend(t.backend).server(name);
      stateAfter[`${t.backend}/${name}`] = describeState(s);
      if (!s.adminStateKnown || s.admin !== goal) inPlace = false;
    }
  }
  return { snapshot, stateAfter, inPlace };
}

/** "DRAIN", or "DOWN (drain)" when the status hides the admin state. */
function describeState(server: Server): string {
  const shown = server.status.raw.split(" ")[0]!.toLowerCase();
  return server.admin !== "ready" && shown !== server.admin ? `${server.status.raw} (${server.admin})` : server.status.raw;
}

/**
 * Every HAProxy tested (2.6, 3.0, 3.2, 3.4) answers "Proxy is disabled." to any change on
 * an old worker: it stopped its proxies when the reload's new worker took over, and the
 * transport lets only that refusal through. Such a worker accepts no new connection,
 * answers its in-flight requests with `Connection: close`, and leaves when they end.
 */
function oldWorkerRefusal(worker: string, action: ActionName, server: string, s: Server): string {
  const sessions = s.sessions ?? 0;
  return `${worker} refused ${action} of ${server}, which stays ${describeState(s)} there: HAProxy takes no change on a worker that stopped its proxies at a reload ("Proxy is disabled."); it takes no new connections or requests, and leaves once the ${sessions} session${sessions === 1 ? "" : "s"} it holds on ${server} and its other connections end.`;
}
