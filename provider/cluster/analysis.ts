// Is a server's new version worse than the rest? Watches its counters on every member
// for a bake window, against its peers in the same backend over the same window (the
// servers still on the old version are the control group), and gives a verdict with
// the numbers on both sides. Read from HAProxy's own counters: nothing to install.

import { isRequestError } from "../error-codes";
import { HcError } from "../errors";
import type { Backend } from "../model/backend";
import { reloadBetween } from "../model/reload";
import type { Server } from "../model/server";
import type { Snapshot } from "../model/snapshot";
import { ANALYSIS_DEFAULTS, PEER_EXCESS_MIN_Z } from "./analysis-defaults";
import type { Cluster } from "./cluster";
import { ClusterSnapshot } from "./cluster-snapshot";
import { counterDelta, readServerCounters, windowMeanMs, type ServerCounters } from "./server-counters";
import { sleep } from "./sleep";

export interface AnalysisThresholds {
  /** Seconds the server is watched. Default {@link ANALYSIS_DEFAULTS.bakeSeconds}. */
  bakeSeconds?: number;
  /** The window extends up to this while fewer than minRequests arrived, seconds. Default {@link ANALYSIS_DEFAULTS.timeoutFactor} × bakeSeconds. */
  timeoutSeconds?: number;
  /** Requests the server must answer (summed over members) before any verdict. Default {@link ANALYSIS_DEFAULTS.minRequests}. */
  minRequests?: number;
  /** Absolute ceiling on the server's error percentage. Default {@link ANALYSIS_DEFAULTS.maxErrorPercent}. */
  maxErrorPercent?: number;
  /** Percentage points the server's error percentage may exceed its peers'. Default {@link ANALYSIS_DEFAULTS.maxErrorPercentOverPeers}. */
  maxErrorPercentOverPeers?: number;
  /** The server's mean response time may be at most this factor × its peers'. Default {@link ANALYSIS_DEFAULTS.responseTimeFactor}. */
  responseTimeFactor?: number;
  /** Peers' response time is taken as at least this, milliseconds. Default {@link ANALYSIS_DEFAULTS.responseTimeFloorMs}. */
  responseTimeFloorMs?: number;
}

export interface AnalysisOptions extends AnalysisThresholds {
  /** Seconds between two reads of every member. Default {@link ANALYSIS_DEFAULTS.intervalSeconds}. */
  intervalSeconds?: number;
  /**
   * A read of every member taken when the server came back: the `reached` of
   * `applyServerAction(…, "ready", { wait: true })`'s report (or `cluster.snapshot({ backend })`
   * taken then). The window starts there instead of now, so the requests and errors since
   * then are judged and the bake ends that much sooner. Not the read back of the `ready`
   * write itself: a server slow to pass its fresh checks would spend its bake, and the
   * deadline, before serving. Default: a read taken now.
   */
  baseline?: ClusterSnapshot;
  /** Called after every read. */
  onProgress?: (progress: AnalysisProgress) => void;
  signal?: AbortSignal;
}

export type ResolvedThresholds = Required<AnalysisThresholds>;

export type AnalysisOutcome = "good" | "regression" | "not-enough-traffic";

/** Numbers of one side (the server, or its peers together) over the window. */
export interface SideNumbers {
  requests: number;
  /** 5xx responses + response errors (`eresp`) + connection errors (`econ`). */
  errors: number;
  errorPercent: number;
  /** Mean response time of the window's requests, milliseconds; absent when HAProxy shows no times. */
  responseTimeMs?: number;
}

export interface MemberNumbers {
  member: string;
  server: SideNumbers;
  peers: SideNumbers;
  /** Times the counters went backwards on this member (a reload): counted from zero again. */
  resets: number;
  /** Reads of this member that failed during the window. */
  failedReads: number;
}

export interface AnalysisProgress {
  elapsedSeconds: number;
  reads: number;
  server: SideNumbers;
  peers: SideNumbers;
}

export interface AnalysisVerdict {
  outcome: AnalysisOutcome;
  backend: string;
  server: string;
  members: string[];
  /** The peer servers whose traffic is the comparison. */
  peers: string[];
  elapsedSeconds: number;
  reads: number;
  numbers: { server: SideNumbers; peers: SideNumbers };
  perMember: MemberNumbers[];
  /** Each rule that found a regression; for not-enough-traffic, what was missing. */
  reasons: string[];
  /** Members whose counters restarted during the window. */
  resets: string[];
  /**
   * Members where the server went DOWN (failed its health checks) during the window, or
   * was DOWN at its end: always a regression, whatever the traffic.
   */
  down: string[];
  thresholds: ResolvedThresholds;
  /** One sentence with the verdict and the numbers on both sides. */
  message: string;
}

export function resolveThresholds(options: AnalysisThresholds = {}): ResolvedThresholds {
  const d = ANALYSIS_DEFAULTS;
  const bakeSeconds = options.bakeSeconds ?? d.bakeSeconds;
  const resolved: ResolvedThresholds = {
    bakeSeconds,
    timeoutSeconds: options.timeoutSeconds ?? bakeSeconds * d.timeoutFactor,
    minRequests: options.minRequests ?? d.minRequests,
    maxErrorPercent: options.maxErrorPercent ?? d.maxErrorPercent,
    maxErrorPercentOverPeers: options.maxErrorPercentOverPeers ?? d.maxErrorPercentOverPeers,
    responseTimeFactor: options.responseTimeFactor ?? d.responseTimeFactor,
    responseTimeFloorMs: options.responseTimeFloorMs ?? d.responseTimeFloorMs,
  };
  for (const [name, value] of Object.entries(resolved)) {
    if (typeof value !== "number" || !Number.isFinite(value) || value < 0) throw new HcError("HC_BAD_SPEC", `analysis option ${name} must be a number ≥ 0, not ${String(value)}.`);
  }
  if (resolved.timeoutSeconds < resolved.bakeSeconds) {
    throw new HcError("HC_BAD_SPEC", `analysis timeoutSeconds (${resolved.timeoutSeconds}) must be at least bakeSeconds (${resolved.bakeSeconds}).`);
  }
  return resolved;
}

/** One server's counters on one member across the window. */
class Track {
  requests = 0;
  errors = 0;
  resets = 0;
  private last?: ServerCounters;
  /** Where the current time segment began; undefined after a restart (everything counts from zero). */
  private segmentStart?: { averageMs: number; samples: number };

  observe(counters: ServerCounters, counted: boolean, reloaded: boolean): void {
    if (!this.last) {
      this.last = counters;
      this.segmentStart = counters.averageMs !== undefined ? { averageMs: counters.averageMs, samples: counters.timeSamples } : undefined;
      return;
    }
    const delta = counterDelta(this.last, counters, reloaded);
    if (delta.reset) {
      this.resets++;
      this.segmentStart = undefined;
    }
    if (counted) {
      this.requests += delta.requests;
      this.errors += delta.errors;
    }
    this.last = counters;
  }

  /** Mean response time of the requests since the window (or the last restart) began. */
  time(): { meanMs: number; weight: number } | undefined {
    if (this.last?.averageMs === undefined) return undefined;
    return windowMeanMs(this.segmentStart, { averageMs: this.last.averageMs, samples: this.last.timeSamples });
  }
}

interface MemberTracks {
  /** The member's previous read, to tell a reload by its process (see reloadBetween). */
  previous?: Snapshot;
  /** The server's health over the window: a server coming up (DOWN 1/2 at the start) is no failure, one that falls is. */
  health: { seenUp: boolean; wentDown: boolean; downNow: boolean; checkStatus?: string };
  server: Track;
  peers: Map<string, Track>;
  failedReads: number;
}

/**
 * Watches `backend/server` on every member for `bakeSeconds` (longer, up to
 * `timeoutSeconds`, while fewer than `minRequests` arrived) and judges it against its
 * peers: the other servers of the backend that are serving (backup servers compare
 * with backup servers). A regression is any of: its error percentage above
 * `maxErrorPercent`; above its peers' by more than `maxErrorPercentOverPeers` points
 * and significantly so; its mean response time above `responseTimeFactor` × its peers'
 * (taken as at least `responseTimeFloorMs`). Counters that go backwards (a reload) count
 * from zero again, never as a negative change. Throws when the first read fails on a
 * member or the names are unknown; later failed reads are recorded per member.
 */
export async function analyseServer(cluster: Cluster, backend: string, server: string, options: AnalysisOptions = {}): Promise<AnalysisVerdict> {
  const thresholds = resolveThresholds(options);
  const intervalMs = (options.intervalSeconds ?? ANALYSIS_DEFAULTS.intervalSeconds) * 1000;
  const members = cluster.memberNames;
  const tracks = new Map<string, MemberTracks>(members.map((m) => [m, { health: { seenUp: false, wentDown: false, downNow: false }, server: new Track(), peers: new Map(), failedReads: 0 }]));
  const peerNames = new Set<string>();

  const absorb = (snap: ClusterSnapshot, first: boolean): void => {
    for (const member of members) {
      const t = tracks.get(member)!;
      const s = snap.snapshots.get(member);
      if (!s) {
        const error = snap.errors.get(member);
        // A name gone from the configuration will not come back during the bake.
        if (first || isRequestError(error!.code)) throw error!;
        t.failedReads++;
        continue;
      }
      const reloaded = t.previous !== undefined && reloadBetween(t.previous, s) !== undefined;
      t.previous = s;
      const be = s.backend(backend);
      const target = be.server(server);
      observeHealth(t.health, target);
      t.server.observe(readServerCounters(target), true, reloaded);
      for (const peer of peersOf(be, target)) {
        let track = t.peers.get(peer.name);
        if (!track) t.peers.set(peer.name, (track = new Track()));
        // A peer is the control group only while it serves; its counters still follow.
        track.observe(readServerCounters(peer), peer.serving, reloaded);
        if (peer.serving) peerNames.add(peer.name);
      }
    }
  };

  if (options.baseline !== undefined) checkBaseline(options.baseline, members);
  const start = options.baseline?.takenAt.getTime() ?? Date.now();
  absorb(options.baseline ?? (await cluster.snapshot({ backend })), true);
  const bakeEnd = start + thresholds.bakeSeconds * 1000;
  const deadline = start + thresholds.timeoutSeconds * 1000;
  let reads = 1;
  for (;;) {
    const now = Date.now();
    // Read every interval, and once exactly at the end of the bake window.
    const next = Math.min(now + intervalMs, now < bakeEnd ? bakeEnd : Infinity, deadline);
    if (!(await sleep(next - now, options.signal))) throw options.signal?.reason ?? new Error("aborted");
    absorb(await cluster.snapshot({ backend }), false);
    reads++;
    const { server: mine, peers } = totalsOf(tracks);
    options.onProgress?.({ elapsedSeconds: (Date.now() - start) / 1000, reads, server: mine, peers });
    const after = Date.now();
    // A fall is a verdict already; DOWN at the end of the bake needs no more traffic to judge.
    const health = [...tracks.values()].map((t) => t.health);
    if (health.some((h) => h.wentDown)) break;
    if (after >= bakeEnd && (mine.requests >= thresholds.minRequests || health.some((h) => h.downNow))) break;
    if (after >= deadline) break;
  }
  return judge({ backend, server, members, peers: [...peerNames], tracks, thresholds, reads, elapsedSeconds: (Date.now() - start) / 1000 });
}

/** A baseline must be a read of this cluster's members: a window cannot start from nothing on one of them. */
function checkBaseline(baseline: ClusterSnapshot, members: readonly string[]): void {
  if (!(baseline instanceof ClusterSnapshot)) {
    throw new HcError("HC_BAD_SPEC", "analysis option baseline must be a read of the cluster (await cluster.snapshot({ backend })), taken when the server came back.");
  }
  const missing = members.filter((m) => !baseline.snapshots.has(m) && !baseline.errors.has(m));
  if (missing.length > 0) {
    throw new HcError("HC_BAD_SPEC", `analysis baseline has no read of ${missing.join(", ")}: take it with cluster.snapshot() on the same cluster the analysis watches.`, { member: missing[0] });
  }
}

/** DOWN: failing its health checks (maintenance is an operator's choice, not a failure). */
function observeHealth(health: MemberTracks["health"], target: Server): void {
  health.downNow = target.health === "down" && target.admin !== "maint";
  if (health.downNow && health.seenUp) health.wentDown = true;
  if (!health.downNow) health.seenUp = true;
  // "* L7STS": HAProxy marks a check in progress with "* ".
  health.checkStatus = target.checkStatus?.replace(/^\* /, "");
}

/** The other servers of the backend of the same kind (active or backup) that could be a control group. */
function peersOf(be: Backend, target: Server): Server[] {
  return [...be.servers.values()].filter((s) => s.name !== target.name && s.backup === target.backup);
}

function side(requests: number, errors: number, time?: { sum: number; weight: number }): SideNumbers {
  const out: SideNumbers = { requests, errors, errorPercent: requests > 0 ? (100 * errors) / requests : 0 };
  if (time && time.weight > 0) out.responseTimeMs = time.sum / time.weight;
  return out;
}

function addTime(acc: { sum: number; weight: number }, t: { meanMs: number; weight: number } | undefined): void {
  if (!t) return;
  acc.sum += t.meanMs * t.weight;
  acc.weight += t.weight;
}

function memberNumbers(t: MemberTracks): { server: SideNumbers; peers: SideNumbers; serverTime: { sum: number; weight: number }; peerTime: { sum: number; weight: number } } {
  const serverTime = { sum: 0, weight: 0 };
  addTime(serverTime, t.server.time());
  const peerTime = { sum: 0, weight: 0 };
  let requests = 0;
  let errors = 0;
  for (const p of t.peers.values()) {
    requests += p.requests;
    errors += p.errors;
    addTime(peerTime, p.time());
  }
  return { server: side(t.server.requests, t.server.errors, serverTime), peers: side(requests, errors, peerTime), serverTime, peerTime };
}

function totalsOf(tracks: Map<string, MemberTracks>): { server: SideNumbers; peers: SideNumbers } {
  const s = { requests: 0, errors: 0, time: { sum: 0, weight: 0 } };
  const p = { requests: 0, errors: 0, time: { sum: 0, weight: 0 } };
  for (const t of tracks.values()) {
    const n = memberNumbers(t);
    s.requests += n.server.requests;
    s.errors += n.server.errors;
    s.time.sum += n.serverTime.sum;
    s.time.weight += n.serverTime.weight;
    p.requests += n.peers.requests;
    p.errors += n.peers.errors;
    p.time.sum += n.peerTime.sum;
    p.time.weight += n.peerTime.weight;
  }
  return { server: side(s.requests, s.errors, s.time), peers: side(p.requests, p.errors, p.time) };
}

/** Two-proportion z-score of the server's error rate over its peers' (0 when undefined). */
function excessZ(a: SideNumbers, b: SideNumbers): number {
  if (a.requests === 0 || b.requests === 0) return 0;
  const pooled = (a.errors + b.errors) / (a.requests + b.requests);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / a.requests + 1 / b.requests));
  const diff = a.errors / a.requests - b.errors / b.requests;
  return se === 0 ? (diff > 0 ? Infinity : 0) : diff / se;
}

interface JudgeInput {
  backend: string;
  server: string;
  members: string[];
  peers: string[];
  tracks: Map<string, MemberTracks>;
  thresholds: ResolvedThresholds;
  reads: number;
  elapsedSeconds: number;
}

function judge(input: JudgeInput): AnalysisVerdict {
  const { thresholds: th, backend, server } = input;
  const numbers = totalsOf(input.tracks);
  const perMember: MemberNumbers[] = [...input.tracks].map(([member, t]) => {
    const n = memberNumbers(t);
    return { member, server: n.server, peers: n.peers, resets: Math.max(t.server.resets, ...[...t.peers.values()].map((p) => p.resets)), failedReads: t.failedReads };
  });
  const resets = perMember.filter((m) => m.resets > 0).map((m) => m.member);
  const mine = numbers.server;
  const theirs = numbers.peers;
  const reasons: string[] = [];
  let outcome: AnalysisOutcome;
  const down = [...input.tracks].filter(([, t]) => t.health.wentDown || t.health.downNow).map(([member]) => member);
  if (down.length > 0) {
    const fell = down.filter((m) => input.tracks.get(m)!.health.wentDown);
    const stayed = down.filter((m) => !input.tracks.get(m)!.health.wentDown);
    const checks = [...new Set(down.map((m) => input.tracks.get(m)!.health.checkStatus).filter((c) => c !== undefined))];
    const last = checks.length > 0 ? ` (last health check: ${checks.join(", ")})` : "";
    if (fell.length > 0) reasons.push(`it went DOWN during the window on ${fell.join(", ")}${last}`);
    if (stayed.length > 0) reasons.push(`it was DOWN from the start to the end of the window on ${stayed.join(", ")}${fell.length > 0 ? "" : last}`);
  }

  if (down.length > 0 && mine.requests < th.minRequests) {
    outcome = "regression";
  } else if (mine.requests < th.minRequests) {
    outcome = "not-enough-traffic";
    reasons.push(`${mine.requests} requests in ${input.elapsedSeconds.toFixed(0)} s, fewer than the ${th.minRequests} needed for a verdict`);
  } else {
    if (mine.errorPercent > th.maxErrorPercent) reasons.push(`error rate ${pct(mine.errorPercent)} is above the ceiling of ${th.maxErrorPercent}%`);
    const overPeers = mine.errorPercent - theirs.errorPercent;
    if (theirs.requests >= th.minRequests && overPeers > th.maxErrorPercentOverPeers && excessZ(mine, theirs) >= PEER_EXCESS_MIN_Z) {
      reasons.push(`error rate ${pct(mine.errorPercent)} is ${overPeers.toFixed(1)} points above its peers' ${pct(theirs.errorPercent)} (allowed: ${th.maxErrorPercentOverPeers})`);
    }
    if (mine.responseTimeMs !== undefined && theirs.responseTimeMs !== undefined && theirs.requests >= th.minRequests) {
      const limitMs = th.responseTimeFactor * Math.max(theirs.responseTimeMs, th.responseTimeFloorMs);
      if (mine.responseTimeMs > limitMs) {
        reasons.push(`mean response time ${ms(mine.responseTimeMs)} is above ${th.responseTimeFactor} × its peers' ${ms(theirs.responseTimeMs)} (limit ${ms(limitMs)})`);
      }
    }
    outcome = reasons.length > 0 ? "regression" : "good";
  }

  const where = `on ${input.members.length} member${input.members.length === 1 ? "" : "s"} (${input.members.join(", ")})`;
  const figures = `server ${describe(mine)}; peers ${input.peers.length > 0 ? `${input.peers.join(", ")} ` : ""}${describe(theirs)}`;
  const resetNote = resets.length > 0 ? ` Counters restarted on ${resets.join(", ")} during the window (a reload); counted from zero there.` : "";
  const head =
    outcome === "good"
      ? `${backend}/${server} looks good after ${input.elapsedSeconds.toFixed(0)} s ${where}`
      : outcome === "regression"
        ? `${backend}/${server} regressed ${where}: ${reasons.join("; ")}`
        : `not enough traffic to judge ${backend}/${server} ${where}: ${reasons.join("; ")}`;
  return {
    outcome,
    backend,
    server,
    members: input.members,
    peers: input.peers,
    elapsedSeconds: input.elapsedSeconds,
    reads: input.reads,
    numbers,
    perMember,
    reasons,
    resets,
    down,
    thresholds: th,
    message: `${head}. ${capitalise(figures)}.${resetNote}`,
  };
}

function pct(value: number): string {
  return `${value.toFixed(value < 10 ? 2 : 1)}%`;
}

function ms(value: number): string {
  return `${value.toFixed(1)} ms`;
}

function describe(n: SideNumbers): string {
  return `${n.errors}/${n.requests} errors (${pct(n.errorPercent)})${n.responseTimeMs !== undefined ? `, ${ms(n.responseTimeMs)} mean response time` : ""}`;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
