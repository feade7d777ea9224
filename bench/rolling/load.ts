// Constant HTTP load through the HAProxy frontends, the way customers send it: keep-alive
// connections (one undici Pool per frontend), GET / and now and then a slow request (so a
// deploy always meets requests in flight), started on a fixed schedule (open
// loop: a slow answer does not slow the senders down, so an outage shows up as failures and
// latency, not as fewer requests), bounded in count and in time. Every answer but a 200 is a
// failure, as is a connection error or a request that takes longer than the timeout.
import { monitorEventLoopDelay, type IntervalHistogram } from "node:perf_hooks";
import { setTimeout as delay } from "node:timers/promises";
import { Pool } from "undici";
import type { WaySettings } from "./settings";
import type { HaproxyInstance } from "../../test/support/haproxy";
import type { DeployOutcome } from "./split";

export interface LoadSettings {
  /** Base URLs of the frontends (`http://127.0.0.1:P`); requests alternate between them. */
  frontends: string[];
  /** Requests started per second, all frontends together. */
  ratePerSecond: number;
  /** Keep-alive connections per frontend. */
  connectionsPerFrontend: number;
  /** A request (queueing in the pool, connect, headers and body) taking longer fails as a timeout, ms. */
  requestTimeoutMs: number;
  /** Hard bound on requests sent. */
  maxRequests: number;
  /** Hard bound on the load's duration, seconds. */
  maxSeconds: number;
  /** Every Nth request asks for `/slow?ms=slowMs` instead of `/` (0: none), so that deploys meet requests in flight. */
  slowEvery: number;
  slowMs: number;
}

export interface LoadFailure {
  /** When the request started, ms since the load started. */
  atMs: number;
  frontend: string;
  /** `HTTP 503 from server2 v4`, `HTTP 503 from HAProxy`, `timeout`, `UND_ERR_SOCKET` … */
  kind: string;
  /** First line of the body, or the error message. */
  detail: string;
  latencyMs: number;
}

export interface LoadResult {
  sent: number;
  ok: number;
  failed: number;
  /** The first failures, in order (at most 500 kept). */
  failures: LoadFailure[];
  /** Every failure's start (ms since the load started) and frontend, all of them: phases of a long outage. */
  failureTimes: Array<{ atMs: number; frontend: string }>;
  failureKinds: Map<string, number>;
  maxLatencyMs: number;
  /** The longest request per path (`/`, `/slow?ms=250`), ms. */
  maxLatencyByPath: Map<string, number>;
  p50LatencyMs: number;
  p99LatencyMs: number;
  /** Answers per version (`v3`), 200s only. */
  versions: Map<string, number>;
  /** Answers per `server version` (`server2 v3`), 200s only. */
  servedBy: Map<string, number>;
  durationMs: number;
  /** Start and end of the deploy, ms since the load started (marked by the caller). */
  deployWindow: { startMs: number; endMs: number } | undefined;
  /** Requests started inside the deploy window, and how many of them failed. */
  duringDeploy: { sent: number; failed: number };
  /** Schedule slots given up because a frontend already had too many requests open. */
  skipped: number;
  /** Why the load ended: the caller's finish, or a hard bound. */
  endedBy: "finish" | "max-requests" | "max-seconds";
  /**
   * This process's event loop, held up beyond its 20 ms sampling (the load, the deploy's
   * Automation API and any sampler share it): the longest and the 99th percentile delay, ms.
   * A stall here times requests out on the client's side, whatever HAProxy does.
   */
  loopDelay: { maxMs: number; p99Ms: number };
}

const TICK_MS = 5;
const FAILURES_KEPT = 500;

export class Load {
  private readonly pools: Pool[];
  private readonly startedAt = performance.now();
  private timer: NodeJS.Timeout | undefined;
  private sentCount = 0;
  private slots = 0;
  private readonly inFlight: number[];
  private readonly sentTo: number[];
  private readonly maxInFlight: number;
  private readonly open = new Set<Promise<void>>();
  private readonly latencies: number[] = [];
  private readonly result: LoadResult;
  private deployStart: number | undefined;
  private deployEnd: number | undefined;
  private stopWhen: (() => boolean) | undefined;
  private ended: ((endedBy: LoadResult["endedBy"]) => void) | undefined;
  private readonly loopDelay: IntervalHistogram = monitorEventLoopDelay({ resolution: 20 });
  /** Resolves with the result once the load has ended (by finish or a bound) and every request settled. */
  readonly done: Promise<LoadResult>;

  constructor(private readonly settings: LoadSettings) {
    this.pools = settings.frontends.map((url) => new Pool(url, { connections: settings.connectionsPerFrontend, pipelining: 1, connect: { timeout: settings.requestTimeoutMs } }));
    this.inFlight = settings.frontends.map(() => 0);
    this.sentTo = settings.frontends.map(() => 0);
    // Enough to ride out a stall of a whole timeout at full rate, and no more.
    this.maxInFlight = Math.ceil(((settings.ratePerSecond / settings.frontends.length) * settings.requestTimeoutMs) / 1000) + settings.connectionsPerFrontend;
    this.result = {
      sent: 0, ok: 0, failed: 0, failures: [], failureTimes: [], failureKinds: new Map(), maxLatencyMs: 0, maxLatencyByPath: new Map(), p50LatencyMs: 0, p99LatencyMs: 0,
      versions: new Map(), servedBy: new Map(), durationMs: 0, deployWindow: undefined, duringDeploy: { sent: 0, failed: 0 }, skipped: 0, endedBy: "finish",
      loopDelay: { maxMs: 0, p99Ms: 0 },
    };
    this.loopDelay.enable();
    this.done = new Promise<LoadResult["endedBy"]>((resolve) => (this.ended = resolve)).then((endedBy) => this.settle(endedBy));
    this.timer = setInterval(() => this.tick(), TICK_MS);
  }

  private now(): number {
    return performance.now() - this.startedAt;
  }

  /** Marks the deploy's start and end, so failures can be placed relative to it. */
  markDeployStart(): void {
    this.deployStart = this.now();
  }

  markDeployEnd(): void {
    this.deployEnd = this.now();
  }

  /** Ends the load once at least `minRequests` were sent and `tailMs` have passed from now; then resolves like `done`. */
  finish(minRequests: number, tailMs: number): Promise<LoadResult> {
    const until = this.now() + tailMs;
    this.stopWhen = () => this.sentCount >= minRequests && this.now() >= until;
    return this.done;
  }

  private tick(): void {
    const now = this.now();
    if (this.stopWhen?.()) return this.end("finish");
    if (this.sentCount >= this.settings.maxRequests) return this.end("max-requests");
    if (now >= this.settings.maxSeconds * 1000) return this.end("max-seconds");
    const due = Math.floor((now * this.settings.ratePerSecond) / 1000);
    while (this.slots < due && this.sentCount < this.settings.maxRequests) {
      const frontend = this.slots++ % this.pools.length;
      if (this.inFlight[frontend]! >= this.maxInFlight) {
        this.result.skipped++;
        continue;
      }
      this.send(frontend);
    }
  }

  private end(endedBy: LoadResult["endedBy"]): void {
    if (this.timer === undefined) return;
    clearInterval(this.timer);
    this.timer = undefined;
    this.ended?.(endedBy);
  }

  private send(frontend: number): void {
    this.sentCount++;
    this.inFlight[frontend]!++;
    const atMs = this.now();
    const inDeploy = this.deployStart !== undefined && this.deployEnd === undefined;
    if (inDeploy) this.result.duringDeploy.sent++;
    const slow = this.settings.slowEvery > 0 && this.sentTo[frontend]!++ % this.settings.slowEvery === this.settings.slowEvery - 1;
    const request = this.request(frontend, slow ? `/slow?ms=${this.settings.slowMs}` : "/", atMs).then((failure) => {
      this.inFlight[frontend]!--;
      if (failure && inDeploy) this.result.duringDeploy.failed++;
    });
    this.open.add(request);
    void request.finally(() => this.open.delete(request));
  }

  /** One GET /; resolves with the failure, or undefined for a 200. Never rejects. */
  private async request(frontend: number, requestPath: string, atMs: number): Promise<LoadFailure | undefined> {
    const started = performance.now();
    const url = this.settings.frontends[frontend]!;
    let failure: LoadFailure | undefined;
    try {
      const response = await this.pools[frontend]!.request({ path: requestPath, method: "GET", signal: AbortSignal.timeout(this.settings.requestTimeoutMs) });
      const body = await response.body.text();
      const servedBy = header(response.headers["x-served-by"]);
      const version = header(response.headers["x-app-version"]);
      if (response.statusCode === 200) {
        this.result.ok++;
        this.result.versions.set(version, (this.result.versions.get(version) ?? 0) + 1);
        const who = `${servedBy} ${version}`;
        this.result.servedBy.set(who, (this.result.servedBy.get(who) ?? 0) + 1);
      } else {
        const from = servedBy ? `${servedBy} ${version}` : "HAProxy";
        failure = { atMs, frontend: url, kind: `HTTP ${response.statusCode} from ${from}`, detail: `GET ${requestPath}: ${firstLine(body)}`, latencyMs: 0 };
      }
    } catch (error) {
      const e = error as { name?: string; code?: string; message?: string };
      const kind = e.name === "TimeoutError" || e.name === "AbortError" ? "timeout" : (e.code ?? e.name ?? "error");
      failure = { atMs, frontend: url, kind, detail: `GET ${requestPath}: ${e.message ?? String(error)}`, latencyMs: 0 };
    }
    const latencyMs = performance.now() - started;
    this.latencies.push(latencyMs);
    if (latencyMs > this.result.maxLatencyMs) this.result.maxLatencyMs = latencyMs;
    if (latencyMs > (this.result.maxLatencyByPath.get(requestPath) ?? 0)) this.result.maxLatencyByPath.set(requestPath, latencyMs);
    if (failure) {
      failure.latencyMs = latencyMs;
      this.result.failed++;
      this.result.failureKinds.set(failure.kind, (this.result.failureKinds.get(failure.kind) ?? 0) + 1);
      if (this.result.failures.length < FAILURES_KEPT) this.result.failures.push(failure);
      this.result.failureTimes.push({ atMs: failure.atMs, frontend: failure.frontend });
    }
    return failure;
  }

  private async settle(endedBy: LoadResult["endedBy"]): Promise<LoadResult> {
    // Every open request ends by its own timeout at the latest.
    while (this.open.size > 0) await Promise.allSettled([...this.open]);
    await Promise.allSettled(this.pools.map((p) => p.close()));
    const sorted = Float64Array.from(this.latencies).sort();
    const at = (q: number): number => (sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!);
    this.result.sent = this.sentCount;
    this.result.endedBy = endedBy;
    this.result.durationMs = this.now();
    this.result.p50LatencyMs = at(0.5);
    this.result.p99LatencyMs = at(0.99);
    this.loopDelay.disable();
    this.result.loopDelay = { maxMs: this.loopDelay.max / 1e6, p99Ms: this.loopDelay.percentile(99) / 1e6 };
    if (this.deployStart !== undefined) this.result.deployWindow = { startMs: this.deployStart, endMs: this.deployEnd ?? this.result.durationMs };
    this.result.failures.sort((a, b) => a.atMs - b.atMs);
    return this.result;
  }

  /** Stops at once (on an error elsewhere): no more requests; resolves once the open ones settled. */
  abort(): Promise<LoadResult> {
    this.end("finish");
    return this.done;
  }
}

function header(value: string | string[] | undefined): string {
  return Array.isArray(value) ? (value[0] ?? "") : (value ?? "");
}

function firstLine(text: string): string {
  return text.trim().split("\n")[0]!.slice(0, 120);
}

/** Runs `deploy` inside a window of constant load: lead-in, the deploy, then the tail until enough requests were sent. */
export async function underLoad(settings: WaySettings, lbs: HaproxyInstance[], deploy: () => Promise<DeployOutcome>): Promise<{ load: LoadResult; deploy: DeployOutcome }> {
  const load = new Load({
    frontends: lbs.map((lb) => lb.frontendUrl),
    ratePerSecond: settings.ratePerSecond,
    connectionsPerFrontend: settings.connectionsPerFrontend,
    requestTimeoutMs: settings.requestTimeoutMs,
    maxRequests: Math.ceil(settings.ratePerSecond * settings.maxLoadSeconds),
    maxSeconds: settings.maxLoadSeconds,
    slowEvery: settings.slowEvery,
    slowMs: settings.slowMs,
  });
  let outcome: DeployOutcome;
  try {
    await delay(settings.leadInMs);
    load.markDeployStart();
    outcome = await deploy();
    load.markDeployEnd();
  } catch (error) {
    await load.abort();
    throw error;
  }
  return { load: await load.finish(settings.minRequestsPerWay, settings.tailMs), deploy: outcome };
}
