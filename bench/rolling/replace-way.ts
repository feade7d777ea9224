// Way (r): a replace deploy, `pulumi up` of examples/replace-deploy after a `version` change:
// every app instance is replaced, new before old. New processes start on new ports, their
// servers are added on every member and enter rotation on fresh checks; then the engine
// deletes the old ones (each server: capacity guard, drain, sessions, removal; then its
// process stops). Measured beside the in-place ways, on a pair of HAProxy of its own
// (lb3, lb4) with the same operator choices, whose backend holds only servers added at
// run time by the stack, plus one configured server that never serves (`seed`: checked,
// weight 0, nothing listening): `add server` ignores `default-server`, and haproxy-cluster
// copies `rise` and `fall` from a checked server of the backend; on a backend without one
// it adds servers with no health check at all, in rotation at once, warming up or not.
//
// Besides failed requests and the deploy's wall time: the number of servers serving on
// every member, read all through the deploy (never below the count before it), and that
// the old servers leave no trace (no row in `show stat` or `show servers state`, no process).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { startHaproxy, type HaproxyInstance } from "../../test/support/haproxy";
import { removeDir, trackStop } from "../../test/support/registry";
import { REPO_ROOT, appProcess } from "./apps";
import { underLoad } from "./load";
import type { WaySettings } from "./settings";
import { sweepOnExit } from "./cleanup";
import { BACKEND, CHECK, EXTRA_DEFAULTS, servingRow } from "./haproxy";
import type { LoadResult } from "./load";
import { openPulumiStack, type PulumiStack } from "./pulumi-stack";
import { timedUp, type StepTime } from "./pulumi-way";
import { ServingSampler, servingProblems, type ServingTrace } from "./serving";
import { seconds, type DeployOutcome } from "./split";
import { checkFrontends, type VersionCheck } from "./verify";

export const REPLACE_EXAMPLE_DIR = path.join(REPO_ROOT, "examples", "replace-deploy");

/** The configured server that never serves (checked, weight 0, port 1), for added servers to copy `rise` and `fall` from. */
export const SEED_SERVER = "seed";

/**
 * How the stack adds and removes servers (config `server` of examples/replace-deploy). The
 * weight is given: by default haproxy-cluster copies the seed's, 0.
 */
export const SERVER_SETTINGS = { checkIntervalMs: CHECK.interMs, weight: 1, sessionsTimeoutSeconds: 30, onSessionsTimeout: "shutdown" };

/** One slot of the stack's output `servers`. */
export interface PlacedServer {
  server: string;
  address: string;
  version: string;
}

export interface ReplaceRig {
  lbs: HaproxyInstance[];
  members: string[];
  stack: PulumiStack;
  instances: number;
  /** The servers the stack's last `up` left, by slot. */
  servers(): Promise<Record<string, PlacedServer>>;
  stop(): Promise<void>;
}

export interface ReplaceRigOptions {
  warmupMs: number;
  /** App instances (servers) of the backend. Default 3. */
  instances?: number;
  /** The version the first, unmeasured `up` puts in place. */
  firstVersion: string;
  /** Lines added to `defaults` after the benchmark's own (EXTRA_DEFAULTS). */
  extraDefaults?: string[];
  log(line: string): void;
}

/** Two HAProxy (lb3, lb4) with the seed-only backend, the stack, and its first `up`: `instances` servers serving. */
export async function openReplaceRig(options: ReplaceRigOptions): Promise<ReplaceRig> {
  const instances = options.instances ?? 3;
  // Kept out of the rig's registry: its exit sweep would remove the pid files before ours reads them.
  const stateDir = await fs.promises.mkdtemp(path.join(os.tmpdir(), "haproxy-cluster-bench-replace-"));
  const unhook = sweepOnExit([stateDir], []);
  const statsUser = "admin";
  const statsPassword = randomBytes(12).toString("hex");
  const backends = [{ name: BACKEND, servers: [{ name: SEED_SERVER, port: 1, weight: 0 }], check: { ...CHECK } }];
  const started = await Promise.allSettled(["lb3", "lb4"].map((name) => startHaproxy({ name, backends, statsAuth: { user: statsUser, password: statsPassword }, extraDefaults: [...EXTRA_DEFAULTS, ...(options.extraDefaults ?? [])] })));
  const lbs = started.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
  let stack: PulumiStack | undefined;
  const stop = async (): Promise<void> => {
    await stack?.dispose().catch(() => undefined);
    await Promise.allSettled(lbs.map((lb) => lb.stop()));
    await stopAppsIn(stateDir);
    await removeDir(stateDir);
    unhook();
  };
  const untrack = trackStop("replace-deploy rig", stop);
  try {
    const failed = started.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed) throw failed.reason;
    const [lb3, lb4] = lbs as [HaproxyInstance, HaproxyInstance];
    // Adding and removing servers takes Runtime API commands, which a stats page cannot carry:
    // one member over its unix socket, the other over its TCP one.
    const members = [`unix:${lb3.adminSocket}`, lb4.tcpSocket];
    options.log("creating the Pulumi stack of examples/replace-deploy (file backend in a temp dir)");
    stack = await openPulumiStack({
      projectDir: REPLACE_EXAMPLE_DIR,
      stackName: "bench-replace",
      config: {
        members: { value: JSON.stringify(members) },
        backend: { value: BACKEND },
        instances: { value: String(instances) },
        warmupMs: { value: String(options.warmupMs) },
        stateDir: { value: stateDir },
        server: { value: JSON.stringify(SERVER_SETTINGS) },
        version: { value: options.firstVersion },
      },
    });
    const opened = stack;
    const servers = async (): Promise<Record<string, PlacedServer>> => ((await opened.stack.outputs()).servers?.value ?? {}) as Record<string, PlacedServer>;
    options.log(`replace-deploy: first pulumi up (${instances} instances of ${options.firstVersion}, not measured)`);
    const first = await opened.stack.up({ color: "never" });
    if (first.summary.result !== "succeeded") throw new Error(`the first pulumi up of examples/replace-deploy ended ${first.summary.result}`);
    await waitServing(lbs, Object.values(await servers()).map((s) => s.server), 30_000);
    return {
      lbs,
      members,
      stack: opened,
      instances,
      servers,
      stop: async () => {
        untrack();
        await stop();
      },
    };
  } catch (error) {
    untrack();
    await stop();
    throw error;
  }
}

/** Stops every app recorded in `stateDir` (app-<port>.pid), gracefully. */
async function stopAppsIn(stateDir: string): Promise<void> {
  let files: string[] = [];
  try {
    files = fs.readdirSync(stateDir).filter((f) => /^app-\d+\.pid$/.test(f));
  } catch {
    return;
  }
  await Promise.allSettled(
    files.map((f) => appProcess.stopApp({ name: "", version: "", host: "127.0.0.1", warmupMs: 0, script: "", startTimeoutSeconds: 1, stopTimeoutSeconds: 10, stateDir, port: Number(/\d+/.exec(f)![0]) })),
  );
}

/** Every `names` UP on a passed check and in rotation on every member. */
async function waitServing(lbs: readonly HaproxyInstance[], names: readonly string[], timeoutMs: number): Promise<void> {
  await Promise.all(lbs.flatMap((lb) => names.map((name) => lb.waitForRow(BACKEND, name, servingRow, timeoutMs))));
}

export interface ReplaceWayResult {
  version: string;
  load: LoadResult;
  deploy: DeployOutcome;
  check: VersionCheck;
  serving: ServingTrace;
  /** The servers before and after, `name@address`. */
  replaced: { before: string[]; after: string[] };
  problems: string[];
}

/** The replace deploy to `version` under load, with the serving count read all through it. */
export async function runReplaceWay(settings: WaySettings, rig: ReplaceRig, version: string): Promise<ReplaceWayResult> {
  const before = Object.values(await rig.servers());
  await waitServing(rig.lbs, before.map((s) => s.server), 30_000);
  const sampler = new ServingSampler(rig.lbs, BACKEND);
  let result: { load: LoadResult; deploy: DeployOutcome };
  let serving: ServingTrace;
  try {
    result = await underLoad(settings, rig.lbs, async () => {
      await sampler.markDeployStart();
      try {
        return await deployByReplacing(rig.stack, version);
      } finally {
        sampler.markDeployEnd();
      }
    });
  } finally {
    serving = await sampler.stop();
  }
  const after = Object.values(await rig.servers());
  const check = await checkReplaced(rig.lbs, before, after, version);
  const problems = [...(result.deploy.error ? [result.deploy.error] : [])];
  if (result.load.failed > 0) problems.push(`${result.load.failed} failed requests`);
  if (result.load.sent < settings.minRequestsPerWay) problems.push(`only ${result.load.sent} requests sent, fewer than ${settings.minRequestsPerWay}`);
  if (result.load.endedBy !== "finish") problems.push(`the load hit its bound (${result.load.endedBy}) before the deploy ended`);
  if (result.load.skipped > 0) problems.push(`${result.load.skipped} requests not sent: a frontend already had a full timeout's worth of requests open (a stall)`);
  problems.push(...servingProblems(serving), ...check.problems);
  const named = (list: PlacedServer[]) => list.map((s) => `${s.server}@${s.address}`);
  return { version, ...result, check, serving, replaced: { before: named(before), after: named(after) }, problems };
}

/** Which kind of resource of examples/replace-deploy a step is about. */
function kindOf(name: string): "instance" | "server" | "other" {
  if (/^app\d+$/.test(name)) return "instance";
  if (/^app\d+-server$/.test(name)) return "server";
  return "other";
}

/** `pulumi up` after the version change, every step timed from the engine's events. */
export async function deployByReplacing(handle: PulumiStack, version: string): Promise<DeployOutcome> {
  const { clock, output, error, started, wallMs } = await timedUp(handle, version);
  // The slots run side by side: each phase is the span from its first step's start to its last step's end.
  const span = (steps: StepTime[]): string => (steps.length === 0 ? "none" : `${seconds(Math.max(...steps.map((s) => s.endedAt)) - Math.min(...steps.map((s) => s.startedAt)))} (${steps.length} steps, ${seconds(Math.min(...steps.map((s) => s.startedAt)) - started)} to ${seconds(Math.max(...steps.map((s) => s.endedAt)) - started)})`);
  // `replace` is the engine's marker between a replacement's create and its delete: no work of its own.
  const of = (kind: string, replaced: boolean) => clock.steps.filter((s) => kindOf(s.name) === kind && s.op !== "replace" && (s.op === "delete-replaced") === replaced);
  const outcome: DeployOutcome = {
    split: {
      wallMs,
      // Not split like the in-place ways: the slots' steps overlap (see method).
      appMs: NaN,
      appIncludesWarmup: true,
      haproxyMs: NaN,
      ownCodeMs: NaN,
      otherMs: NaN,
      method: [
        `phases (the three slots run side by side): new instances started ${span(of("instance", false))}; their servers added and in rotation on fresh checks ${span(of("server", false))}; old servers drained and removed ${span(of("server", true))}; old instances stopped ${span(of("instance", true))}`,
      ],
      details: clock.steps.filter((s) => kindOf(s.name) !== "other").map((s) => `${s.name} ${s.op} ${seconds(s.ms)}${s.failed ? " FAILED" : ""}`),
    },
    outputTail: output.split("\n").slice(-40).join("\n"),
    ...(clock.errors.length > 0 ? { diagnostics: clock.errors } : {}),
  };
  if (error) outcome.error = error;
  return outcome;
}

/**
 * After a replace deploy: the new servers serve the new version on every member (HAProxy,
 * directly, through each frontend), and the old ones left no trace: no row in `show stat`
 * or `show servers state` on any member, nothing answering at their addresses.
 */
export async function checkReplaced(lbs: readonly HaproxyInstance[], before: readonly PlacedServer[], after: readonly PlacedServer[], version: string): Promise<VersionCheck> {
  const problems: string[] = [];
  const notes: string[] = [];
  const newNames = after.map((s) => s.server);
  const oldNames = before.map((s) => s.server).filter((n) => !newNames.includes(n));
  if (oldNames.length !== before.length) problems.push(`only ${oldNames.length} of ${before.length} servers were replaced: ${before.map((s) => s.server).join(", ")} → ${newNames.join(", ")}`);
  try {
    await waitServing(lbs, newNames, 5_000);
    notes.push(`HAProxy: ${newNames.join(", ")} UP (L7OK) on ${lbs.map((lb) => lb.name).join(" and ")}`);
  } catch (error) {
    problems.push(`HAProxy: not every new server is serving on every member: ${(error as Error).message.split("\n")[0]}`);
  }
  for (const lb of lbs) {
    const rows = (await lb.showStat()).filter((r) => r.pxname === BACKEND && r.svname !== "BACKEND" && r.svname !== "FRONTEND").map((r) => r.svname);
    const state = await lb.runtime(`show servers state ${BACKEND}`);
    const expected = [SEED_SERVER, ...newNames].sort();
    if (JSON.stringify([...rows].sort()) !== JSON.stringify(expected)) problems.push(`${lb.name}: show stat lists ${rows.join(", ")}, expected ${expected.join(", ")}`);
    const traces = oldNames.filter((n) => new RegExp(`\\s${n}\\s`).test(state));
    if (traces.length > 0) problems.push(`${lb.name}: show servers state still lists ${traces.join(", ")}`);
  }
  if (oldNames.length > 0 && problems.length === 0) notes.push(`old servers ${oldNames.join(", ")}: in neither show stat nor show servers state on ${lbs.map((lb) => lb.name).join(" and ")}`);

  const direct: string[] = [];
  for (const s of after) {
    const [host, port] = [s.address.slice(0, s.address.lastIndexOf(":")), Number(s.address.slice(s.address.lastIndexOf(":") + 1))];
    const answer = await appProcess.probe(host, port);
    direct.push(answer ? `${answer.servedBy} ${answer.version} (${answer.status})` : `${s.server}: nothing answers`);
    if (!answer || answer.status !== 200 || answer.version !== version) problems.push(`directly: ${s.server} at ${s.address} answers ${answer ? `${answer.status} as ${answer.version}` : "nothing"}, expected 200 from ${version}`);
  }
  for (const s of before.filter((x) => oldNames.includes(x.server))) {
    const port = Number(s.address.slice(s.address.lastIndexOf(":") + 1));
    const answer = await appProcess.probe(s.address.slice(0, s.address.lastIndexOf(":")), port);
    if (answer) problems.push(`the old app ${s.server} at ${s.address} still answers (${answer.status} ${answer.version})`);
  }

  const through = await checkFrontends(lbs, newNames, version);
  problems.push(...through.problems);
  notes.push(...through.notes);
  return { ok: problems.length === 0, problems: [...new Set(problems)], notes, direct };
}
