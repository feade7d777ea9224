// Way (b): `pulumi up` of examples/rolling-deploy after a `version` config change: gate →
// drain server1 → deploy server1 → gate (server1 back on fresh checks) → drain server2 → …
//
// Time split: each resource step is timed from the engine events (pre-event to outputs
// event, as this process receives them: with this Pulumi the Automation API gets them
// streamed over gRPC as they happen, to a few ms). The deploy steps (stop + start of an app, plus the
// provider's dispatch) are the apps' time, with the warm-ups, which the gates after them
// wait out. The tool's own code in the gates and drains is estimated by the same
// library calls the providers make (a Cluster, the capacity read, the action and its read
// back, one poll), timed in this process against already-satisfied states, times the number
// of steps, plus loading the providers' code once in a fresh process. Waiting on HAProxy = gate and drain steps − that − the warm-ups. Other = the
// rest: the Pulumi engine, language host and program, diffs, state writes.
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { Cluster } from "../../provider/cluster/cluster";
import { applyServerAction, waitForSessions } from "../../provider/cluster/actions";
import { REPO_ROOT, type AppSpec } from "./apps";
import { BACKEND } from "./haproxy";
import type { PulumiStack } from "./pulumi-stack";
import { median, seconds, type DeployOutcome } from "./split";

/** What the serialized providers load when they first run (provider/pulumi/providers.ts). */
const IMPL = path.join(REPO_ROOT, "dist", "provider", "pulumi", "impl", "index.js");

/** Gate and drain settings of the stack (config `gate` and `drain` of examples/rolling-deploy). */
export const GATE = { thresholdPercent: 80, minChecks: 3, intervalSeconds: 0.5, timeoutSeconds: 120 };
export const DRAIN = { waitForSessions: true, sessionsTimeoutSeconds: 30, onSessionsTimeout: "shutdown" };

export interface LibraryCalibration {
  rounds: number;
  /** A gate without servers to put back, on a safe backend (minChecks 1), ms. */
  gateMs: number;
  /** A gate putting back a server that already serves, then one poll, ms. */
  gateReadyMs: number;
  /** A drain step (capacity read, drain, read back, sessions) of a server already drained and idle, ms. */
  drainMs: number;
  /** Loading the providers' implementation (and undici, for the stats-page member) in a fresh Node process, beyond `node -e 0`, ms: paid once per `pulumi up`. */
  coldLoadMs: number;
}

export interface ClusterAccess {
  members: string[];
  username: string;
  password: string;
}

/** Times the providers' library calls against already-satisfied states; leaves `server` serving. No load meanwhile. */
export async function calibrateLibrary(access: ClusterAccess, server: string, rounds: number): Promise<LibraryCalibration> {
  const withCluster = async (work: (c: Cluster) => Promise<unknown>): Promise<number> => {
    const started = performance.now();
    const cluster = new Cluster(access.members, { username: access.username, password: access.password });
    try {
      await work(cluster);
    } finally {
      await cluster.close();
    }
    return performance.now() - started;
  };
  const poll = (c: Cluster) => c.waitUntilRollingRestartable(BACKEND, { thresholdPercent: GATE.thresholdPercent, minChecks: 1, intervalSeconds: GATE.intervalSeconds, timeoutSeconds: 30 });
  const ready = (c: Cluster) => applyServerAction(c, BACKEND, server, "ready", { wait: true, timeoutSeconds: 30, intervalSeconds: 0.5 });
  const drain = async (c: Cluster) => {
    await c.snapshot({ backend: BACKEND });
    await applyServerAction(c, BACKEND, server, "drain", { wait: true, timeoutSeconds: 30 });
    await waitForSessions(c, BACKEND, server, { timeoutSeconds: DRAIN.sessionsTimeoutSeconds, onSessionsTimeout: "shutdown" });
  };
  const repeat = async (work: (c: Cluster) => Promise<unknown>): Promise<number> => {
    await withCluster(work); // loads the modules and warms the connections' code paths
    const samples: number[] = [];
    for (let i = 0; i < rounds; i++) samples.push(await withCluster(work));
    return median(samples);
  };
  const gateMs = await repeat(poll);
  const gateReadyMs = await repeat(async (c) => (await ready(c), await poll(c)));
  await withCluster(drain); // the real drain; the repeats find it done
  const drainMs = await repeat(drain);
  await withCluster(ready); // back on fresh checks
  const node = async (code: string): Promise<number> => {
    const samples: number[] = [];
    for (let i = 0; i < rounds; i++) {
      const started = performance.now();
      await promisify(execFile)(process.execPath, ["-e", code], { cwd: REPO_ROOT, timeout: 30_000 });
      samples.push(performance.now() - started);
    }
    return median(samples);
  };
  const coldLoadMs = Math.max(0, (await node(`require(${JSON.stringify(IMPL)}); require("undici")`)) - (await node("0")));
  return { rounds, gateMs, gateReadyMs, drainMs, coldLoadMs };
}

/** The stack config for one deploy (the version is set per deploy). */
export function stackConfig(access: ClusterAccess, apps: readonly AppSpec[], warmupMs: number, stateDir: string): Record<string, { value: string; secret?: boolean }> {
  return {
    members: { value: JSON.stringify(access.members) },
    statsUser: { value: access.username },
    statsPassword: { value: access.password, secret: true },
    backend: { value: BACKEND },
    servers: { value: JSON.stringify(apps.map((a) => ({ name: a.name, port: a.port }))) },
    warmupMs: { value: String(warmupMs) },
    stateDir: { value: stateDir },
    gate: { value: JSON.stringify(GATE) },
    drain: { value: JSON.stringify(DRAIN) },
  };
}

export interface StepTime {
  name: string;
  op: string;
  ms: number;
  failed: boolean;
  /** When the step started and ended (performance.now()), for steps that run side by side. */
  startedAt: number;
  endedAt: number;
}

/** Step timings from the engine's events: pre-event to outputs (or failure) event of each non-`same` step. */
export class StepClock {
  readonly steps: StepTime[] = [];
  /** Error diagnostics, in order: a failed step's message as the provider wrote it. */
  readonly errors: string[] = [];
  private readonly open = new Map<string, number>();

  readonly onEvent = (event: EngineEvent): void => {
    const now = performance.now();
    if (event.diagnosticEvent?.severity === "error") this.errors.push(event.diagnosticEvent.message.trim());
    const pre = event.resourcePreEvent?.metadata;
    if (pre && pre.op !== "same") this.open.set(`${pre.op} ${pre.urn}`, now);
    const done = event.resOutputsEvent?.metadata ?? event.resOpFailedEvent?.metadata;
    if (done && done.op !== "same") {
      const key = `${done.op} ${done.urn}`;
      const started = this.open.get(key);
      if (started !== undefined) {
        this.open.delete(key);
        this.steps.push({ name: done.urn.split("::").pop() ?? done.urn, op: done.op, ms: now - started, failed: event.resOpFailedEvent !== undefined, startedAt: started, endedAt: now });
      }
    }
  };
}

function kindOf(name: string): "gate" | "drain" | "deploy" | "other" {
  if (/-gate-\d+$/.test(name)) return "gate";
  if (/-drain-/.test(name)) return "drain";
  if (/^deploy-/.test(name)) return "deploy";
  return "other";
}

/** `pulumi up` after setting the stack's `version`, every step timed from the engine's events; the last 16 KB of its output kept. */
export async function timedUp(handle: PulumiStack, version: string): Promise<{ clock: StepClock; output: string; error?: string; started: number; wallMs: number }> {
  const clock = new StepClock();
  let output = "";
  await handle.stack.setConfig("version", { value: version });
  const started = performance.now();
  let error: string | undefined;
  try {
    const result = await handle.stack.up({ onEvent: clock.onEvent, onOutput: (text) => void (output = (output + text).slice(-16 * 1024)), color: "never" });
    if (result.summary.result !== "succeeded") error = `pulumi up ended ${result.summary.result}`;
  } catch (e) {
    error = `pulumi up failed: ${(e as Error).message.split("\n").slice(0, 3).join(" ")}`;
  }
  return { clock, output, error, started, wallMs: performance.now() - started };
}

export async function deployWithPulumi(handle: PulumiStack, version: string, warmupMs: number, calibration: LibraryCalibration): Promise<DeployOutcome> {
  const { clock, output, error, wallMs } = await timedUp(handle, version);

  const sum = (kind: string) => clock.steps.filter((s) => kindOf(s.name) === kind).reduce((acc, s) => acc + s.ms, 0);
  const count = (kind: string) => new Set(clock.steps.filter((s) => kindOf(s.name) === kind && s.op !== "delete-replaced").map((s) => s.name)).size;
  const deploys = count("deploy");
  const gates = clock.steps.filter((s) => kindOf(s.name) === "gate").map((s) => s.name);
  const gatesPuttingBack = gates.filter((n) => !n.endsWith("-gate-0")).length;
  const ownCodeMs = calibration.coldLoadMs + (gates.length - gatesPuttingBack) * calibration.gateMs + gatesPuttingBack * calibration.gateReadyMs + count("drain") * calibration.drainMs;
  const appMs = sum("deploy") + deploys * warmupMs;
  const haproxyMs = sum("gate") + sum("drain") - deploys * warmupMs - ownCodeMs;
  const timed = clock.steps.filter((s) => kindOf(s.name) !== "other");
  const stepsMs = timed.reduce((acc, s) => acc + s.ms, 0);
  const outcome: DeployOutcome = {
    split: {
      wallMs,
      appMs,
      appIncludesWarmup: true,
      haproxyMs,
      ownCodeMs,
      otherMs: wallMs - appMs - haproxyMs - ownCodeMs,
      method: [
        `${timed.length} resource steps timed from engine events: gates ${seconds(sum("gate"))}, drains ${seconds(sum("drain"))}, deploys ${seconds(sum("deploy"))}; the engine, language host and program outside the steps ${seconds(wallMs - stepsMs)}`,
        `own code = loading the providers' code once (${calibration.coldLoadMs.toFixed(0)} ms) + steps × the providers' library calls against already-satisfied states, timed in-process (gate ${calibration.gateMs.toFixed(0)} ms, gate putting a server back ${calibration.gateReadyMs.toFixed(0)} ms, drain ${calibration.drainMs.toFixed(0)} ms)`,
        `HAProxy = gate + drain steps − own code − ${deploys} warm-ups of ${warmupMs} ms (the gate after each deploy waits them out)`,
      ],
      details: timed.map((s) => `${s.name} ${s.op} ${seconds(s.ms)}${s.failed ? " FAILED" : ""}`),
    },
    outputTail: output.split("\n").slice(-40).join("\n"),
    ...(clock.errors.length > 0 ? { diagnostics: clock.errors } : {}),
  };
  if (error) outcome.error = error;
  return outcome;
}
