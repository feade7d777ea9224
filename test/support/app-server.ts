// Starts app-server-main.js as a child process and steers it over HTTP. Restart keeps
// the port, so HAProxy sees the same server come back, possibly with a new version.
import path from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { OwnedChild } from "./child";
import { freePort } from "./ports";
import { trackStop } from "./registry";

const MAIN = path.join(__dirname, "app-server-main.js");
const START_TIMEOUT_MS = 10_000;
const GRACEFUL_STOP_MS = 15_000;
const CONTROL_TIMEOUT_MS = 5_000;

/** What GET /__control/state reports. */
export interface AppServerState {
  name: string;
  version: string;
  /** Readiness as set by setReady (true at start). */
  ready: boolean;
  /** True during the --warmup-ms window after start. */
  warming: boolean;
  /** Non-control requests in progress (e.g. held by /hold). */
  openRequests: number;
  /** Share of real requests (not /check) answered 500, percent. */
  failPercent: number;
  /** Added to every real request, ms. */
  slowMs: number;
}

/** How a version behaves beyond /check: a bad release passes health checks and still hurts users. */
export interface AppBehaviour {
  /** Answer 500 to this share of real requests (never /check), percent, spread evenly. Default 0. */
  failPercent?: number;
  /** Add this to every real request, ms. Default 0. */
  slowMs?: number;
}

export interface AppServerOptions extends AppBehaviour {
  name: string;
  /** Default "1.0.0". */
  version?: string;
  /** Default: a free port claimed by test/support/ports.ts. */
  port?: number;
  /** Loopback address to listen on, so that servers can differ by address. Default 127.0.0.1. */
  host?: string;
  /** Answer 503 to everything (including /check) for this long after start, in ms. Default 0. */
  warmupMs?: number;
}

export interface RestartOptions extends AppBehaviour {
  /** Version the new process reports. Default: unchanged. */
  version?: string;
  /** Time between the old process exiting and the new one starting, in ms. Default 0. */
  downMs?: number;
  /** Warm-up of the new process, in ms. Default 0. */
  warmupMs?: number;
}

export interface AppServer {
  readonly name: string;
  readonly port: number;
  /** The loopback address it listens on. */
  readonly host: string;
  readonly version: string;
  /** PID of the current process; changes on restart. */
  readonly pid: number;
  /** http://<host>:<port> */
  readonly url: string;
  setReady(ok: boolean): Promise<void>;
  /** Changes failPercent/slowMs of the running process. */
  setBehaviour(behaviour: AppBehaviour): Promise<void>;
  state(): Promise<AppServerState>;
  /** Ends the current process's warm-up now (it serves from then on, if ready). */
  endWarmup(): Promise<void>;
  /** Answers every request the current process holds (GET /hold) now; resolves with how many. */
  releaseHeld(): Promise<number>;
  /** Stops gracefully, waits downMs, starts again on the same port. */
  restart(options?: RestartOptions): Promise<void>;
  /** Graceful stop (SIGTERM, in-flight requests finish); SIGKILL after 15 s. */
  stop(): Promise<void>;
}

async function launch(name: string, version: string, port: number, warmupMs: number, host: string, behaviour: AppBehaviour = {}): Promise<{ child: OwnedChild; port: number }> {
  const args = [MAIN, "--port", String(port), "--host", host, "--name", name, "--version", version, "--warmup-ms", String(warmupMs)];
  args.push("--fail-percent", String(behaviour.failPercent ?? 0), "--slow-ms", String(behaviour.slowMs ?? 0));
  const child = new OwnedChild(`app ${name}`, process.execPath, args);
  try {
    const match = await child.waitForStdout(/listening (\d+)/, START_TIMEOUT_MS);
    return { child, port: Number(match[1]) };
  } catch (error) {
    await child.stop("SIGKILL", 1_000);
    throw error;
  }
}

class ChildAppServer implements AppServer {
  private untrack: () => void = () => undefined;

  constructor(readonly name: string, public version: string, readonly port: number, private child: OwnedChild, readonly host: string) {}

  get pid(): number {
    return this.child.pid;
  }

  get url(): string {
    return `http://${this.host}:${this.port}`;
  }

  register(): void {
    this.untrack = trackStop(`app ${this.name}`, () => this.stop());
  }

  async setReady(ok: boolean): Promise<void> {
    const res = await fetch(`${this.url}/__control/ready`, { method: "POST", body: ok ? "1" : "0", signal: AbortSignal.timeout(CONTROL_TIMEOUT_MS) });
    if (res.status !== 200) throw new Error(`app ${this.name}: setReady(${ok}) answered ${res.status}: ${await res.text()}`);
  }

  async setBehaviour(behaviour: AppBehaviour): Promise<void> {
    const res = await fetch(`${this.url}/__control/behaviour`, { method: "POST", body: JSON.stringify(behaviour), signal: AbortSignal.timeout(CONTROL_TIMEOUT_MS) });
    if (res.status !== 200) throw new Error(`app ${this.name}: setBehaviour answered ${res.status}: ${await res.text()}`);
  }

  async endWarmup(): Promise<void> {
    const res = await fetch(`${this.url}/__control/warmup`, { method: "POST", signal: AbortSignal.timeout(CONTROL_TIMEOUT_MS) });
    if (res.status !== 200) throw new Error(`app ${this.name}: endWarmup answered ${res.status}: ${await res.text()}`);
  }

  async releaseHeld(): Promise<number> {
    const res = await fetch(`${this.url}/__control/release`, { method: "POST", signal: AbortSignal.timeout(CONTROL_TIMEOUT_MS) });
    if (res.status !== 200) throw new Error(`app ${this.name}: releaseHeld answered ${res.status}: ${await res.text()}`);
    return ((await res.json()) as { released: number }).released;
  }

  async state(): Promise<AppServerState> {
    const res = await fetch(`${this.url}/__control/state`, { signal: AbortSignal.timeout(CONTROL_TIMEOUT_MS) });
    if (res.status !== 200) throw new Error(`app ${this.name}: state answered ${res.status}`);
    return (await res.json()) as AppServerState;
  }

  async restart(options: RestartOptions = {}): Promise<void> {
    await this.child.stop("SIGTERM", GRACEFUL_STOP_MS);
    // A deliberate outage window the caller asked for, not a wait for some state.
    if (options.downMs) await delay(options.downMs);
    const version = options.version ?? this.version;
    const started = await launch(this.name, version, this.port, options.warmupMs ?? 0, this.host, options);
    this.child = started.child;
    this.version = version;
  }

  async stop(): Promise<void> {
    this.untrack();
    await this.child.stop("SIGTERM", GRACEFUL_STOP_MS);
  }
}

export async function startAppServer(options: AppServerOptions): Promise<AppServer> {
  const version = options.version ?? "1.0.0";
  const host = options.host ?? "127.0.0.1";
  // A claimed port rather than the kernel's pick: restart() binds it again, and a port in the
  // ephemeral range could meanwhile be some connection's source port.
  const started = await launch(options.name, version, options.port ?? (await freePort()), options.warmupMs ?? 0, host, options);
  const app = new ChildAppServer(options.name, version, started.port, started.child, host);
  app.register();
  return app;
}
