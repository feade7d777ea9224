// What every member reported in one concurrent read, and the cluster-wide answers
// computed from it. A member that could not be read is recorded, never dropped: any
// safety question over an incomplete snapshot answers "not safe".

import { HcPartialFailure, joinSentences, type HcError } from "../errors";
import type { Backend, Capacity } from "../model/backend";
import { sameProcess } from "../model/reload";
import type { Snapshot } from "../model/snapshot";

export class ClusterSnapshot {
  constructor(
    /** Member names in the order the cluster was given them. */
    readonly members: readonly string[],
    readonly snapshots: ReadonlyMap<string, Snapshot>,
    readonly errors: ReadonlyMap<string, HcError>,
    readonly takenAt: Date = new Date(),
  ) {}

  /**
   * From each member's read (or error), in the order given. An old worker still serves, so
   * every question (safe? drained?) must hold on it too: each one joins as a member of its own.
   */
  static of(reads: Iterable<readonly [string, { ok: true; value: Snapshot } | { ok: false; error: HcError }]>): ClusterSnapshot {
    const snapshots = new Map<string, Snapshot>();
    const errors = new Map<string, HcError>();
    const names: string[] = [];
    for (const [name, r] of reads) {
      names.push(name);
      if (r.ok) snapshots.set(name, r.value);
      else errors.set(name, r.error);
      for (const old of r.ok ? r.value.oldWorkers : []) {
        names.push(old.member);
        snapshots.set(old.member, old);
      }
    }
    return new ClusterSnapshot(names, snapshots, errors);
  }

  /** True when every member answered. */
  get complete(): boolean {
    return this.errors.size === 0;
  }

  /** The named backend on every member that answered; throws HC_UNKNOWN_BACKEND if one lacks it. */
  backend(name: string): Map<string, Backend> {
    const out = new Map<string, Backend>();
    for (const [member, snap] of this.snapshots) out.set(member, snap.backend(name));
    return out;
  }

  /** serving/total of a backend, per member that answered. */
  capacity(backend: string): Map<string, Capacity> {
    const out = new Map<string, Capacity>();
    for (const [member, be] of this.backend(backend)) out.set(member, be.capacity);
    return out;
  }

  /** Rolling-restart safe on every member; false when any member could not be read. */
  rollingRestartable(backend: string, thresholdPercent?: number): boolean {
    if (!this.complete) return false;
    for (const be of this.backend(backend).values()) if (!be.rollingRestartable(thresholdPercent)) return false;
    return true;
  }

  /**
   * Transactions per second, summed over members (throws HcPartialFailure when a member
   * could not be read, as do `backlog` and `sessions`). For a frontend: HTTP requests per
   * second (`req_rate`), or sessions per second in TCP mode. For a backend: sessions
   * per second. Without a name: the sum over every frontend.
   */
  rate(proxy?: string): number {
    return this.sumPerMember((snap) => {
      if (proxy === undefined) {
        let total = 0;
        for (const fe of snap.frontends.values()) total += fe.requestRate ?? fe.sessionRate ?? 0;
        return total;
      }
      const fe = snap.frontends.get(proxy);
      if (fe) return fe.requestRate ?? fe.sessionRate ?? 0;
      return snap.backend(proxy).rate;
    });
  }

  /** Requests waiting for a server (backend and server queues), summed over members; all backends without a name. */
  backlog(backend?: string): number {
    return this.sumPerMember((snap) => {
      if (backend !== undefined) return snap.backend(backend).backlog;
      let total = 0;
      for (const be of snap.backends.values()) total += be.backlog;
      return total;
    });
  }

  /** Current sessions of a backend or frontend (all frontends without a name), summed over members. */
  sessions(proxy?: string): number {
    return this.sumPerMember((snap) => {
      if (proxy === undefined) {
        let total = 0;
        for (const fe of snap.frontends.values()) total += fe.sessions ?? 0;
        return total;
      }
      const be = snap.backends.get(proxy);
      if (be) return be.sessions;
      return snap.frontend(proxy).sessions ?? 0;
    });
  }

  /**
   * Members answered by one and the same HAProxy process (see `sameProcess`): one
   * HAProxy given twice, e.g. its unix socket and its TCP socket, or `localhost` and
   * `127.0.0.1`. Each group in member order; empty when every member is its own
   * HAProxy, or a read could not tell which process answered. Sums still count every
   * member given: which spelling was meant is the caller's to say.
   */
  sameProcessGroups(): string[][] {
    const groups: string[][] = [];
    const placed = new Set<string>();
    this.members.forEach((member, i) => {
      const process = this.snapshots.get(member)?.process;
      if (!process || placed.has(member)) return;
      const group = [member, ...this.members.slice(i + 1).filter((other) => {
        const theirs = this.snapshots.get(other)?.process;
        return !placed.has(other) && theirs !== undefined && sameProcess(process, theirs);
      })];
      if (group.length < 2) return;
      for (const m of group) placed.add(m);
      groups.push(group);
    });
    return groups;
  }

  /** The per-member figure behind a sum; members that could not be read are absent. */
  perMember(read: (snapshot: Snapshot) => number): Map<string, number> {
    const out = new Map<string, number>();
    for (const [member, snap] of this.snapshots) out.set(member, read(snap));
    return out;
  }

  toJSON(): unknown {
    return {
      takenAt: this.takenAt.toISOString(),
      members: this.members.map((name) => {
        const snap = this.snapshots.get(name);
        const error = this.errors.get(name);
        return snap ? { member: name, ok: true, ...(snap.toJSON() as object) } : { member: name, ok: false, error: error?.toJSON() };
      }),
    };
  }

  /** A sum with a member missing would be wrong, not smaller: refuse it. */
  private sumPerMember(read: (snapshot: Snapshot) => number): number {
    if (!this.complete) {
      throw new HcPartialFailure(`cannot sum over the cluster: ${joinSentences([...this.errors.values()].map((e) => e.message))}.`, this.errors, [...this.snapshots.keys()]);
    }
    let total = 0;
    for (const value of this.perMember(read).values()) total += value;
    return total;
  }
}
