// How many servers of a backend serve, on every member, all through a deploy: read from
// each HAProxy's own `show stat` (through the rig, not haproxy-cluster) every few tens of
// milliseconds. A replace deploy must never serve with fewer servers than it started with.
import { setTimeout as delay } from "node:timers/promises";
import type { HaproxyInstance } from "../../test/support/haproxy";
import type { StatRow } from "../../test/support/stat-csv";

/**
 * Serving: HAProxy sends it new requests. Status UP, or UP on its way down (`UP 1/2`:
 * still in rotation until `fall` checks fail), and a weight above 0. DRAIN, MAINT, NOLB,
 * DOWN (a new server before its fresh checks pass, included) are not.
 */
export function servingNow(row: StatRow): boolean {
  return /^UP\b/.test(row.status) && Number(row.weight) > 0;
}

export interface ServingTrace {
  /** Member names, in the order of the counts below. */
  members: string[];
  /** Per member: serving servers in the last read before the deploy started. */
  before: number[];
  /** Per member: the fewest and the most serving servers read while the deploy ran. */
  minDuring: number[];
  maxDuring: number[];
  /** Reads of all members while the deploy ran, and the longest gap between two of a member's reads then, ms. */
  samplesDuring: number;
  longestGapMs: number;
  /** Reads that failed (a member did not answer), any time. */
  failedReads: number;
  /** Each change of any member's count: `+1.23 s lb3 4 lb4 3` (seconds from the deploy's start). */
  changes: string[];
  /** `min/max` over the deploy per member, as one line. */
  summary: string;
}

/** Reads every member's `show stat` for `backend` until stopped; the deploy's window is marked from outside. */
export class ServingSampler {
  private running = true;
  private readonly loop: Promise<void>;
  private readonly counts: Array<number | undefined>;
  private before: number[] | undefined;
  private deployStart: number | undefined;
  private deployEnd: number | undefined;
  private readonly minDuring: number[];
  private readonly maxDuring: number[];
  private samplesDuring = 0;
  private failedReads = 0;
  private readonly lastRead: number[];
  private longestGapMs = 0;
  private readonly changes: string[] = [];

  constructor(private readonly lbs: readonly HaproxyInstance[], private readonly backend: string, private readonly intervalMs = 50) {
    this.counts = lbs.map(() => undefined);
    this.minDuring = lbs.map(() => Infinity);
    this.maxDuring = lbs.map(() => -Infinity);
    this.lastRead = lbs.map(() => 0);
    this.loop = this.run();
  }

  private async count(lb: HaproxyInstance): Promise<number> {
    const rows = await lb.showStat();
    return rows.filter((r) => r.pxname === this.backend && r.svname !== "BACKEND" && r.svname !== "FRONTEND" && servingNow(r)).length;
  }

  private async run(): Promise<void> {
    while (this.running) {
      const read = await Promise.allSettled(this.lbs.map((lb) => this.count(lb)));
      const now = performance.now();
      const during = this.deployStart !== undefined && this.deployEnd === undefined;
      let changed = false;
      read.forEach((r, i) => {
        if (r.status === "rejected") return void this.failedReads++;
        if (during) {
          this.minDuring[i] = Math.min(this.minDuring[i]!, r.value);
          this.maxDuring[i] = Math.max(this.maxDuring[i]!, r.value);
          if (this.lastRead[i]! > 0) this.longestGapMs = Math.max(this.longestGapMs, now - this.lastRead[i]!);
        }
        this.lastRead[i] = now;
        if (this.counts[i] !== r.value) changed = true;
        this.counts[i] = r.value;
      });
      if (during) this.samplesDuring++;
      if (changed && this.deployStart !== undefined && this.changes.length < 200) {
        this.changes.push(`+${((now - this.deployStart) / 1000).toFixed(2)} s ${this.lbs.map((lb, i) => `${lb.name} ${this.counts[i] ?? "?"}`).join(" ")}`);
      }
      await delay(this.intervalMs);
    }
  }

  /** Waits for a first read of every member, then marks the deploy's start: the counts then are "before". */
  async markDeployStart(): Promise<void> {
    const deadline = performance.now() + 10_000;
    while (this.counts.some((c) => c === undefined)) {
      if (performance.now() > deadline) throw new Error(`serving sampler: no read of ${this.lbs.filter((_, i) => this.counts[i] === undefined).map((lb) => lb.name).join(", ")} within 10 s`);
      await delay(this.intervalMs);
    }
    this.before = this.counts.map((c) => c!);
    this.deployStart = performance.now();
    this.lastRead.fill(this.deployStart);
    this.changes.push(`+0.00 s ${this.lbs.map((lb, i) => `${lb.name} ${this.before![i]}`).join(" ")} (before)`);
  }

  markDeployEnd(): void {
    this.deployEnd = performance.now();
  }

  async stop(): Promise<ServingTrace> {
    this.running = false;
    await this.loop;
    const before = this.before ?? this.lbs.map(() => 0);
    const minDuring = this.minDuring.map((n, i) => (Number.isFinite(n) ? n : before[i]!));
    const maxDuring = this.maxDuring.map((n, i) => (Number.isFinite(n) ? n : before[i]!));
    return {
      members: this.lbs.map((lb) => lb.name),
      before,
      minDuring,
      maxDuring,
      samplesDuring: this.samplesDuring,
      longestGapMs: this.longestGapMs,
      failedReads: this.failedReads,
      changes: this.changes,
      summary: this.lbs.map((lb, i) => `${lb.name} ${before[i]} before, ${minDuring[i]}-${maxDuring[i]} during`).join("; "),
    };
  }
}

/** What is wrong with a trace for a deploy that must never serve with fewer servers than before. */
export function servingProblems(trace: ServingTrace): string[] {
  const problems = trace.members.flatMap((m, i) =>
    trace.minDuring[i]! < trace.before[i]! ? [`${m}: ${trace.minDuring[i]} servers serving at the fewest during the deploy, fewer than the ${trace.before[i]} before it`] : [],
  );
  if (trace.samplesDuring < 2) problems.push(`only ${trace.samplesDuring} reads of the serving count during the deploy`);
  return problems;
}
