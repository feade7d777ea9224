// The benchmark's app servers are the rolling-deploy example's own: examples/rolling-deploy/
// app.js, started and stopped by pid file through that example's app-process.js, so the
// benchmark deploys exactly what users deploy (graceful SIGTERM, --warmup-ms, versioned answers).
import path from "node:path";

/** The repository root (this file runs from dist/bench/rolling). */
export const REPO_ROOT = path.resolve(__dirname, "..", "..", "..");
export const EXAMPLE_DIR = path.join(REPO_ROOT, "examples", "rolling-deploy");

/** One app's settings, as app-process.js's checkAppInputs fills them in. */
export interface AppInputs {
  name: string;
  port: number;
  version: string;
  host: string;
  warmupMs: number;
  stateDir: string;
  script: string;
  startTimeoutSeconds: number;
  stopTimeoutSeconds: number;
}

/** What one GET / to an app reports (app-process.js's probe). */
export interface AppAnswer {
  status: number;
  servedBy: string;
  version: string;
  pid: string;
}

/** The part of examples/rolling-deploy/app-process.js the benchmark uses (plain JS, typed here). */
interface AppProcessModule {
  APP_SCRIPT: string;
  checkAppInputs(news: Record<string, unknown>): { inputs: Record<string, unknown>; failures: Array<{ property: string; reason: string }> };
  stopApp(inputs: AppInputs): Promise<{ pid: number | null; outcome: "none" | "SIGTERM" | "SIGKILL" }>;
  startApp(inputs: AppInputs): Promise<{ pid: number; logFile: string }>;
  isOurApp(pid: number, port: number): boolean;
  probe(host: string, port: number): Promise<AppAnswer | null>;
}

export const appProcess = require(path.join(EXAMPLE_DIR, "app-process.js")) as AppProcessModule;

/** An app server as HAProxy knows it: the server name in backend myapp and the app's port. */
export interface AppSpec {
  name: string;
  port: number;
}

/** `failPercent`: a bad release (that share of real requests answers 500; /check passes). */
export function appInputs(spec: AppSpec, version: string, warmupMs: number, stateDir: string, failPercent = 0): AppInputs {
  const { inputs, failures } = appProcess.checkAppInputs({ ...spec, version, warmupMs, stateDir, script: appProcess.APP_SCRIPT, failPercent });
  if (failures.length > 0) throw new Error(`app ${spec.name}: ${failures.map((f) => `${f.property}: ${f.reason}`).join("; ")}`);
  return inputs as unknown as AppInputs;
}

/** How one restart went, timed from outside the app. */
export interface RestartRecord {
  name: string;
  port: number;
  version: string;
  /** SIGTERM until the old process exited (it finishes the requests in flight first), ms. */
  stopMs: number;
  /** Spawn until the new process answers on its port (possibly 503: warming up), ms. */
  startMs: number;
  stopOutcome: "none" | "SIGTERM" | "SIGKILL";
  pid: number;
}

/**
 * Stops the app on the port by its pid file and starts the new version: what
 * AppServerDeployment's restartApp does, with the two halves timed separately.
 */
export async function restartTimed(inputs: AppInputs): Promise<RestartRecord> {
  const t0 = performance.now();
  const stopped = await appProcess.stopApp(inputs);
  const t1 = performance.now();
  const started = await appProcess.startApp(inputs);
  const t2 = performance.now();
  return { name: inputs.name, port: inputs.port, version: inputs.version, stopMs: t1 - t0, startMs: t2 - t1, stopOutcome: stopped.outcome, pid: started.pid };
}
