// The log of what changed between two reads of the cluster, as the original tool
// printed it: "lb2 sees myapp/server2 go UP -> DOWN".

import { reloadBetween, type Reload } from "../model/reload";
import type { Snapshot } from "../model/snapshot";
import type { ClusterSnapshot } from "./cluster-snapshot";

export interface Transition {
  member: string;
  /** Absent for a member that became unreadable or readable again. */
  backend?: string;
  server?: string;
  from: string;
  to: string;
  at: Date;
  /** One line for people. */
  message: string;
  /** Set when the member was reloaded between the two reads (then `from`/`to` are PIDs, when known). */
  reload?: Reload;
}

/**
 * Server status changes, reloads, and members becoming (un)readable between `before` and
 * `after`. A member `before` could not read is compared with its read in `lastReadable`
 * (its last good read, when there is one): a member back after an outage may be a new
 * process whose drains are gone, and that is exactly what must not go unsaid.
 */
export function transitionsBetween(before: ClusterSnapshot, after: ClusterSnapshot, lastReadable?: ReadonlyMap<string, Snapshot>): Transition[] {
  const out: Transition[] = [];
  const at = after.takenAt;
  for (const member of after.members) {
    let was = before.snapshots.get(member);
    const now = after.snapshots.get(member);
    if (!was && !now) continue;
    if (was && !now) {
      const why = after.errors.get(member)?.message ?? "no answer";
      out.push({ member, from: "readable", to: "unreadable", at, message: `${member} cannot be read: ${why}` });
      continue;
    }
    if (!was && now) {
      if (before.errors.has(member)) out.push({ member, from: "unreadable", to: "readable", at, message: `${member} can be read again` });
      was = lastReadable?.get(member);
      if (!was) continue;
    }
    const reload = reloadBetween(was!, now!);
    if (reload) out.push({ member, from: String(reload.fromPid ?? "old process"), to: String(reload.toPid ?? "new process"), at, message: reload.message, reload });
    for (const [name, be] of now!.backends) {
      const oldBe = was!.backends.get(name);
      if (!oldBe) continue;
      // A server that appears or goes (added or deleted at run time, forgotten by a
      // reload) is a change too: "absent" on the side where the member lacks it.
      for (const [sv, server] of be.servers) {
        const old = oldBe.servers.get(sv);
        const from = old ? describe(old.status.raw, old.admin) : "absent";
        const to = describe(server.status.raw, server.admin);
        if (from !== to) out.push({ member, backend: name, server: sv, from, to, at, message: `${member} sees ${name}/${sv} go ${from} -> ${to}` });
      }
      for (const [sv, old] of oldBe.servers) {
        if (be.servers.has(sv)) continue;
        const from = describe(old.status.raw, old.admin);
        out.push({ member, backend: name, server: sv, from, to: "absent", at, message: `${member} sees ${name}/${sv} go ${from} -> absent` });
      }
    }
  }
  return out;
}

/** The status, with the admin state added when the status hides it (a drained server that is down). */
export function describe(status: string, admin: string): string {
  const shown = status.split(" ")[0]!.toLowerCase();
  return admin !== "ready" && shown !== admin ? `${status} (${admin})` : status;
}

/**
 * The changes between consecutive reads of a cluster, for anything that polls (watch,
 * Cluster.poll, waits): it keeps each member's last good read across reads that failed,
 * so a member that comes back is compared with what it showed before its outage.
 */
export class TransitionLog {
  #previous?: ClusterSnapshot;
  readonly #lastReadable = new Map<string, Snapshot>();

  /** What changed since the previous read (nothing on the first). */
  next(snapshot: ClusterSnapshot): Transition[] {
    const out = this.#previous ? transitionsBetween(this.#previous, snapshot, this.#lastReadable) : [];
    this.#previous = snapshot;
    for (const [member, read] of snapshot.snapshots) this.#lastReadable.set(member, read);
    // Old workers come and go with reloads: forget those no longer listed.
    for (const member of this.#lastReadable.keys()) if (!snapshot.members.includes(member)) this.#lastReadable.delete(member);
    return out;
  }
}
