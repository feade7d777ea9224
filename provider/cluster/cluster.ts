// Many HAProxy members as one cluster: concurrent reads keyed by member name, map/reduce,
// polling, and waiting until a condition holds on every member several times in a row.

import { endsWait } from "../error-codes";
import { HcError, HcPartialFailure, asHcError, joinSentences } from "../errors";
import type { MemberOptionsInput } from "../member/spec";
import { type Capacity } from "../model/backend";
import { DEFAULTS } from "../policy";
import { Member, type SnapshotOptions } from "../model/member";
import type { Snapshot } from "../model/snapshot";
import { ClusterSnapshot } from "./cluster-snapshot";
import type { ServerHold } from "./hold";
import { checkNumericOptions } from "../input-rules";
import { setLongTimeout, sleep } from "./sleep";
import { TransitionLog, type Transition } from "./transitions";

export type Settled<T> = { ok: true; value: T } | { ok: false; error: HcError };

/** A condition's verdict on one member; `reason` explains a failure in messages and progress. */
export interface MemberCheck {
  ok: boolean;
  reason?: string;
}
export type MemberCondition = (snapshot: Snapshot) => boolean | MemberCheck;

export interface PollOptions {
  /** Seconds between the starts of two reads. Default {@link DEFAULTS.intervalSeconds}. */
  intervalSeconds?: number;
  /** Stops the polling (the promise resolves). */
  signal?: AbortSignal;
  /** What to read on each poll (e.g. one backend). */
  snapshot?: SnapshotOptions;
}

export interface WaitOptions extends PollOptions {
  /** Consecutive polls on which the condition must hold on every member. Default {@link DEFAULTS.minChecks}. */
  minChecks?: number;
  /** Hard deadline for the whole wait, in seconds. Default {@link DEFAULTS.waitTimeoutSeconds}. */
  timeoutSeconds?: number;
  /** Called after every poll. */
  onProgress?: (progress: WaitProgress) => void;
  /** Called for each change seen between two polls. */
  onTransition?: (transition: Transition) => void;
  /** Backends whose serving/total each progress report carries; default the snapshot's backend, else none. */
  backends?: readonly string[];
  /** What is being waited for, for messages: e.g. "myapp rolling-restart safe". */
  description?: string;
  /**
   * Servers this wait holds out of rotation (or on fresh checks): a member reloaded
   * during the wait gets the held state again at once (see ServerHold).
   */
  hold?: ServerHold;
  /**
   * A read of every member just taken with the same `snapshot` options (the read back of
   * the change being waited on): the first poll is this read instead of a new one.
   */
  firstRead?: ClusterSnapshot;
}

export interface MemberProgress {
  member: string;
  ok: boolean;
  /** Why the condition failed on this member, or the read error. */
  reason?: string;
  unreadable: boolean;
  backends: Array<{ name: string } & Capacity>;
}

export interface WaitProgress {
  attempt: number;
  /** Consecutive passing polls so far. */
  passes: number;
  minChecks: number;
  elapsedSeconds: number;
  ok: boolean;
  members: MemberProgress[];
}

export interface WaitResult {
  polls: number;
  elapsedSeconds: number;
  last: ClusterSnapshot;
  progress: WaitProgress;
}

export class Cluster {
  readonly members: readonly Member[];

  constructor(members: ReadonlyArray<string | Member>, options?: MemberOptionsInput) {
    if (!Array.isArray(members)) throw new HcError("HC_BAD_SPEC", `a cluster takes a list of members, e.g. ["http://lb1:8404/stats", "unix:/run/haproxy/admin.sock"], not ${typeof members}.`);
    if (members.length === 0) throw new HcError("HC_BAD_SPEC", "a cluster needs at least one member: a stats URL, socket path, tcp://host:port or file:.");
    this.members = members.map((m) => (typeof m === "string" ? new Member(m, options) : m));
    const seen = new Set<string>();
    for (const m of this.members) {
      if (seen.has(m.name)) throw new HcError("HC_BAD_SPEC", `${m.name} is listed twice; each member must be named once.`, { member: m.name });
      seen.add(m.name);
    }
  }

  get memberNames(): string[] {
    return this.members.map((m) => m.name);
  }

  member(name: string): Member {
    const found = this.members.find((m) => m.name === name);
    if (!found) throw new HcError("HC_BAD_SPEC", `no member ${name} in this cluster.`, { member: name });
    return found;
  }

  /** Runs `fn` on every member at once; never throws, every result keyed by member name. */
  async mapSettled<T>(fn: (member: Member) => Promise<T> | T): Promise<Map<string, Settled<T>>> {
    const settled = await Promise.all(
      this.members.map(async (m): Promise<Settled<T>> => {
        try {
          return { ok: true, value: await fn(m) };
        } catch (error) {
          return { ok: false, error: asHcError(error, m.name) };
        }
      }),
    );
    return new Map(this.members.map((m, i) => [m.name, settled[i]!]));
  }

  /** Runs `fn` on every member at once; throws HcPartialFailure naming each member that failed. */
  async map<T>(fn: (member: Member) => Promise<T> | T): Promise<Map<string, T>> {
    const settled = await this.mapSettled(fn);
    const values = new Map<string, T>();
    const failures = new Map<string, HcError>();
    for (const [name, r] of settled) {
      if (r.ok) values.set(name, r.value);
      else failures.set(name, r.error);
    }
    if (failures.size > 0) {
      const lines = joinSentences([...failures.values()].map((e) => e.message));
      throw new HcPartialFailure(`failed on ${failures.size} of ${this.members.length} members: ${lines}.`, failures, [...values.keys()]);
    }
    return values;
  }

  async eachMember(fn: (member: Member) => Promise<unknown> | unknown): Promise<void> {
    await this.map(fn);
  }

  /** map, then fold the values in member order. */
  async reduce<T, A>(fn: (member: Member) => Promise<T> | T, reducer: (acc: A, value: T, member: string) => A, initial: A): Promise<A> {
    const values = await this.map(fn);
    let acc = initial;
    for (const [name, value] of values) acc = reducer(acc, value, name);
    return acc;
  }

  /** Reads every member at once. Members that fail are recorded in `errors`. */
  async snapshot(options?: SnapshotOptions): Promise<ClusterSnapshot> {
    return this.snapshotBefore(Infinity, options);
  }

  /**
   * Reads the cluster every `intervalSeconds` and hands each read (and what changed since
   * the previous one; a member back after failed reads is compared with its last good
   * read) to `fn`, until the signal aborts or `fn` returns false.
   */
  async poll(fn: (snapshot: ClusterSnapshot, transitions: Transition[]) => unknown, options: PollOptions = {}): Promise<void> {
    checkNumericOptions("poll", options, ["intervalSeconds"]);
    const intervalMs = (options.intervalSeconds ?? DEFAULTS.intervalSeconds) * 1000;
    const log = new TransitionLog();
    while (!options.signal?.aborted) {
      const started = Date.now();
      const snap = await this.snapshot(options.snapshot);
      if (options.signal?.aborted) return;
      const result = await fn(snap, log.next(snap));
      if (result === false) return;
      if (!(await sleep(started + intervalMs - Date.now(), options.signal))) return;
    }
  }

  /**
   * Resolves once `condition` held on every member for `minChecks` consecutive polls.
   * A member that cannot be read fails that poll. At the deadline, throws
   * HC_WAIT_DEADLINE naming each member that held the wait back and why; its
   * `details.unreadable` lists members that could not be read on the last poll.
   * A condition that throws (an unknown backend, say) ends the wait at once, and so
   * does a read error that waiting cannot cure (`duringWait: "final"` in error-codes.ts). Every read is
   * bounded by the deadline: a member still silent then counts as unreadable.
   */
  async waitUntil(condition: MemberCondition, options: WaitOptions = {}): Promise<WaitResult> {
    checkNumericOptions("waitUntil", options, ["minChecks", "intervalSeconds", "timeoutSeconds"]);
    const minChecks = options.minChecks ?? DEFAULTS.minChecks;
    const intervalMs = (options.intervalSeconds ?? DEFAULTS.intervalSeconds) * 1000;
    const timeoutMs = (options.timeoutSeconds ?? DEFAULTS.waitTimeoutSeconds) * 1000;
    const what = options.description ?? "the condition";
    const backends = options.backends ?? (options.snapshot?.backend !== undefined ? [options.snapshot.backend] : []);
    const start = Date.now();
    const deadline = start + timeoutMs;
    let passes = 0;
    let attempt = 0;
    const log = new TransitionLog();
    let progress: WaitProgress | undefined;
    // The last poll that failed: a deadline after a flap names who failed, not just "2 of 3".
    let lastFailed: WaitProgress | undefined;

    for (;;) {
      if (options.signal?.aborted) throw options.signal.reason ?? new Error("aborted");
      attempt++;
      const started = Date.now();
      // The first poll may be a read just taken (the read back of the change waited on).
      const first = attempt === 1 ? options.firstRead : undefined;
      const snap = first && this.memberNames.every((m) => first.snapshots.has(m)) ? first : await this.snapshotBefore(deadline, options.snapshot);
      // A name HAProxy does not know, refused credentials or host key will not change by waiting: say so now.
      for (const error of snap.errors.values()) if (endsWait(error.code)) throw error;
      const transitions = log.next(snap);
      for (const t of transitions) options.onTransition?.(t);
      // A reloaded member shows its configuration's states, not the ones we wait on: its
      // read never counts as a pass, and held state goes back on at once.
      const reloaded = new Set(transitions.filter((t) => t.reload).map((t) => t.member));
      for (const member of options.hold ? await options.hold.check(snap) : []) reloaded.add(member);

      // A poll the deadline cut short: a member that answered the poll before keeps that
      // verdict (the cut says nothing about it); one never read is unreadable. It never counts as a pass.
      const cut = Date.now() >= deadline;
      const members = snap.members.map((member) => {
        if (reloaded.has(member)) return { member, ok: false, unreadable: false, reason: "was just reloaded: its server states came from its configuration", backends: [] };
        const now = evaluate(member, snap, condition, backends);
        const before = progress?.members.find((m) => m.member === member);
        return cut && before && snap.errors.get(member)?.details.cutByDeadline ? before : now;
      });
      const ok = members.every((m) => m.ok);
      passes = ok ? passes + (cut ? 0 : 1) : 0;
      progress = { attempt, passes, minChecks, elapsedSeconds: (Date.now() - start) / 1000, ok, members };
      if (!ok) lastFailed = progress;
      options.onProgress?.(progress);
      if (passes >= minChecks) return { polls: attempt, elapsedSeconds: progress.elapsedSeconds, last: snap, progress };
      if (cut) break;

      const next = started + intervalMs;
      if (next >= deadline) break;
      if (!(await sleep(next - Date.now(), options.signal))) throw options.signal?.reason ?? new Error("aborted");
    }
    throw deadlineError(what, timeoutMs / 1000, progress, lastFailed);
  }

  /** Reads every member at once, each bounded by `deadline`: a member still silent then gets HC_MEMBER_TIMEOUT. */
  private async snapshotBefore(deadline: number, options?: SnapshotOptions): Promise<ClusterSnapshot> {
    const settled = await this.mapSettled(async (m) => {
      const snapshot = await raceDeadline(m.snapshot(options), deadline);
      if (snapshot) return snapshot;
      throw new HcError("HC_MEMBER_TIMEOUT", `${m.name}: no complete answer before the wait's deadline; check that HAProxy is alive and not overloaded.`, { member: m.name, cutByDeadline: true });
    });
    return ClusterSnapshot.of(settled);
  }

  /** One read: is the backend rolling-restart safe on every member right now? */
  async rollingRestartable(backend: string, options: { thresholdPercent?: number } = {}): Promise<boolean> {
    checkNumericOptions("rollingRestartable", options, ["thresholdPercent"]);
    const snap = await this.snapshot({ backend, processIdentity: false });
    return snap.rollingRestartable(backend, options.thresholdPercent);
  }

  /** Waits until the backend is rolling-restart safe on every member (see `waitUntil`). */
  async waitUntilRollingRestartable(backend: string, options: WaitOptions & { thresholdPercent?: number } = {}): Promise<WaitResult> {
    checkNumericOptions("waitUntilRollingRestartable", options, ["thresholdPercent", "minChecks", "intervalSeconds", "timeoutSeconds"]);
    const threshold = options.thresholdPercent ?? DEFAULTS.thresholdPercent;
    return this.waitUntil((snap) => rollingRestartCheck(snap, backend, threshold), {
      description: `${backend} rolling-restart safe (${threshold}%)`,
      ...options,
      snapshot: { ...options.snapshot, backend },
    });
  }

  /** Cluster-wide transactions per second (see ClusterSnapshot.rate). Throws if a member cannot be read. */
  async rate(proxy?: string): Promise<number> {
    return (await this.snapshot(proxy === undefined ? { types: ["frontend"], processIdentity: false } : { processIdentity: false })).rate(proxy);
  }

  /** Cluster-wide session backlog (see ClusterSnapshot.backlog). Throws if a member cannot be read. */
  async backlog(backend?: string): Promise<number> {
    return (await this.snapshot(backend !== undefined ? { backend, processIdentity: false } : { types: ["backend", "server"], processIdentity: false })).backlog(backend);
  }

  /** Cluster-wide current sessions (see ClusterSnapshot.sessions). Throws if a member cannot be read. */
  async sessions(proxy?: string): Promise<number> {
    return (await this.snapshot(proxy === undefined ? { types: ["frontend"], processIdentity: false } : { processIdentity: false })).sessions(proxy);
  }

  async close(): Promise<void> {
    await Promise.all(this.members.map((m) => m.close()));
  }


}

/** The rolling-restart condition on one member, with the numbers behind a failure. */
export function rollingRestartCheck(snapshot: Snapshot, backend: string, thresholdPercent: number): MemberCheck {
  const be = snapshot.backend(backend);
  if (be.rollingRestartable(thresholdPercent)) return { ok: true };
  const { serving, total, percent } = be.capacity;
  return { ok: false, reason: `${backend} ${serving}/${total} serving (${percent.toFixed(1)}% < ${thresholdPercent}%)` };
}

function evaluate(member: string, snap: ClusterSnapshot, condition: MemberCondition, backends: readonly string[]): MemberProgress {
  const error = snap.errors.get(member);
  if (error) return { member, ok: false, unreadable: true, reason: `cannot be read (${withoutMember(error.message, member)})`, backends: [] };
  const s = snap.snapshots.get(member)!;
  const verdict = condition(s);
  const check = typeof verdict === "boolean" ? { ok: verdict } : verdict;
  const reported = backends.filter((b) => s.backends.has(b)).map((name) => ({ name, ...s.backends.get(name)!.capacity }));
  return { member, ok: check.ok, unreadable: false, reason: check.ok ? undefined : (check.reason ?? "condition not met"), backends: reported };
}

/** "lb1: connection refused; try again." → "connection refused; try again", for use inside a sentence about lb1. */
function withoutMember(message: string, member: string): string {
  const text = message.startsWith(`${member}: `) ? message.slice(member.length + 2) : message;
  return text.replace(/\.$/, "");
}

function deadlineError(what: string, timeoutSeconds: number, progress: WaitProgress | undefined, lastFailed: WaitProgress | undefined): HcError {
  const held = progress?.members.filter((m) => !m.ok) ?? [];
  const unreadable = held.filter((m) => m.unreadable).map((m) => m.member);
  const failedBefore = lastFailed?.members.filter((m) => !m.ok) ?? [];
  const before = failedBefore.length > 0 ? `; before that, on poll ${lastFailed!.attempt}, ${failedBefore.map((m) => `${m.member}: ${m.reason}`).join("; ")}` : "";
  const detail =
    held.length > 0
      ? held.map((m) => `${m.member}: ${m.reason}`).join("; ")
      : progress
        ? `it held on the last ${progress.passes} of ${progress.minChecks} required consecutive checks${before}`
        : "no read finished in time";
  return new HcError("HC_WAIT_DEADLINE", `gave up waiting for ${what} after ${timeoutSeconds} s; ${detail}.`, {
    heldBack: held.map((m) => ({ member: m.member, reason: m.reason, backends: m.backends })),
    unreadable,
    progress,
  });
}

/** The promise's value, or undefined if the deadline comes first. */
async function raceDeadline<T>(promise: Promise<T>, deadline: number): Promise<T | undefined> {
  let cancel = (): void => undefined;
  const expired = new Promise<undefined>((resolve) => {
    cancel = setLongTimeout(() => resolve(undefined), deadline - Date.now());
  });
  try {
    return await Promise.race([promise, expired]);
  } finally {
    cancel();
  }
}
