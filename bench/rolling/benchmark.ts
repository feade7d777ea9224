// The whole benchmark, shared by `bench/rolling-under-load.ts` and its short form in the
// test suite: sets the cluster up, calibrates, then per run deploys a fresh version three
// ways under constant load ((a) CLI script, (b) pulumi up, (c) careless restarts), checks
// where every server ended, and tears everything down, also on failure.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { HaproxyInstance } from "../../test/support/haproxy";
import { freePort } from "../../test/support/ports";
import { removeDir, trackDir, trackStop } from "../../test/support/registry";
import { EXAMPLE_DIR, appInputs, appProcess, type AppSpec } from "./apps";
import { deployCarelessly } from "./careless-way";
import { calibrateCli, deployWithCli, type CliCalibration } from "./cli-way";
import { sweepOnExit } from "./cleanup";
import { CARELESS_LOOP, CLI_HELD_LOOP, CLI_LOOP, withRestartHook, type ScriptEnv } from "./deploy-script";
import { BACKEND, OPERATOR_CHOICES, configExcerpt, startLoadBalancers, waitAllServing } from "./haproxy";
import { underLoad, type LoadResult } from "./load";
import { openPulumiStack, type PulumiStack } from "./pulumi-stack";
import { DRAIN, GATE, calibrateLibrary, deployWithPulumi, stackConfig, type ClusterAccess, type LibraryCalibration } from "./pulumi-way";
import type { DeployOutcome } from "./split";
import type { WaySettings } from "./settings";
import { checkVersion, type VersionCheck } from "./verify";
import { runBadVersionWays, type BadVersionSettings, type BadWayResult } from "./bad-version";
import { runReloadWays, type ReloadWayResult } from "./reload-mid-deploy";
import { openReplaceRig, runReplaceWay, SERVER_SETTINGS, type ReplaceRig } from "./replace-way";
import type { ServingTrace } from "./serving";

export interface BenchmarkSettings extends WaySettings {
  /** Instead of (a)/(b)/(c): the bad-version scenario (bench/rolling/bad-version.ts). */
  badVersion?: BadVersionSettings;
  /** Instead of (a)/(b)/(c): way (d), a member reloaded while a server is out for its restart (bench/rolling/reload-mid-deploy.ts). */
  reloadMidDeploy?: { member: "lb1" | "lb2" };
  /** Called once with the setup's description, before anything is measured. */
  onHeader?(lines: string[]): void;
  /** Called with each way's result as soon as it is known. */
  onWay?(way: WayResult): void;
}

export type { WaySettings } from "./settings";

export type WayName = "a" | "b" | "c" | "r";

export const WAY_TITLES: Record<WayName, string> = {
  a: "(a) CLI deploy script",
  b: "(b) pulumi up",
  c: "(c) careless restarts",
  r: "(r) replace: pulumi up",
};

export interface WayResult {
  run: number;
  way: WayName;
  version: string;
  load: LoadResult;
  deploy: DeployOutcome;
  check: VersionCheck;
  /** Why this way failed the benchmark's promise; empty when it kept it. For (c): only a broken deploy. */
  problems: string[];
  /** (r): servers serving on every member before and during the deploy. */
  serving?: ServingTrace;
  /** (r): the servers before and after, `name@address`. */
  replaced?: { before: string[]; after: string[] };
}

export interface BenchmarkReport {
  settings: Omit<BenchmarkSettings, "log" | "onHeader" | "onWay">;
  header: string[];
  cliCalibration: CliCalibration;
  libraryCalibration: LibraryCalibration;
  ways: WayResult[];
  /** The bad-version scenario's ways, when it ran. */
  badWays?: BadWayResult[];
  /** Way (d)'s variants, when it ran. */
  reloadWays?: ReloadWayResult[];
  /** Why the runs stopped before all were done (a deploy failed, or the cluster did not recover). */
  stoppedEarly?: string;
}

const SERVERS = ["server1", "server2", "server3"];

export async function runRollingBenchmark(settings: BenchmarkSettings): Promise<BenchmarkReport> {
  const { log } = settings;
  const workDir = await fs.promises.mkdtemp(path.join(os.tmpdir(), "haproxy-cluster-bench-rolling-"));
  trackDir(workDir);
  // Kept out of the rig's registry: its exit sweep would remove the pid files before ours reads them.
  const stateDir = await fs.promises.mkdtemp(path.join(os.tmpdir(), "haproxy-cluster-bench-apps-"));
  const unhook = sweepOnExit([stateDir], [workDir]);
  const apps: AppSpec[] = [];
  for (const name of SERVERS) apps.push({ name, port: await freePort() });
  const stopApps = async (): Promise<void> => {
    await Promise.allSettled(apps.map((app) => appProcess.stopApp(appInputs(app, "stop", 0, stateDir))));
    await fs.promises.rm(stateDir, { recursive: true, force: true });
  };
  const untrackApps = trackStop("benchmark apps", stopApps);
  let lbs: HaproxyInstance[] = [];
  let stack: PulumiStack | undefined;
  let replaceRig: ReplaceRig | undefined;
  try {
    for (const app of apps) await appProcess.startApp(appInputs(app, "v0", 0, stateDir));
    // Way (d) runs the README's configuration for reloads; the other ways keep the plain one.
    const balancers = await startLoadBalancers(apps, { forReloads: settings.reloadMidDeploy !== undefined });
    lbs = balancers.lbs;
    await waitAllServing(lbs, apps, 15_000);
    const [lb1, lb2] = lbs as [HaproxyInstance, HaproxyInstance];
    // lb1 over its Runtime API socket, lb2 over its stats page (the password from the environment).
    const members = [`unix:${lb1.adminSocket}`, lb2.statsUrl];
    const clusterEnv = { HAPROXY_CLUSTER_MEMBERS: members.join(" "), HAPROXY_CLUSTER_USER: balancers.statsUser, HAPROXY_CLUSTER_PASSWORD: balancers.statsPassword };
    const access: ClusterAccess = { members, username: balancers.statsUser, password: balancers.statsPassword };
    const header = describeSetup(settings, lb1, apps, members);
    settings.onHeader?.(header);

    log(`calibrating: the CLI and the providers' library calls against already-satisfied states (${settings.calibrationRounds} rounds, no load)`);
    const last = apps[apps.length - 1]!;
    const cliCalibration = await calibrateCli(workDir, clusterEnv, last, settings.calibrationRounds);
    const libraryCalibration = await calibrateLibrary(access, last.name, settings.calibrationRounds);
    await waitAllServing(lbs, apps, 15_000);

    log("creating the Pulumi stack of examples/rolling-deploy (file backend in a temp dir)");
    stack = await openPulumiStack({ projectDir: EXAMPLE_DIR, stackName: "bench", config: stackConfig(access, apps, settings.warmupMs, stateDir) });

    if (settings.badVersion) {
      const scriptEnv = (version: string, extra: Partial<ScriptEnv> = {}): ScriptEnv => ({ apps, version, warmupMs: settings.warmupMs, stateDir, workDir, clusterEnv, ...extra });
      const badWays = await runBadVersionWays({ settings, bad: settings.badVersion, lbs, apps, stack, libraryCalibration, scriptEnv }, 0);
      const { log: _l, onHeader: _h, onWay: _w, ...rest } = settings;
      return { settings: rest, header, cliCalibration, libraryCalibration, ways: [], badWays };
    }
    if (settings.reloadMidDeploy) {
      const reloaded = settings.reloadMidDeploy.member === "lb1" ? lb1 : lb2;
      const scriptEnv = (version: string): ScriptEnv => ({ apps, version, warmupMs: settings.warmupMs, stateDir, workDir, clusterEnv });
      const reloadWays = await runReloadWays({ settings, lbs, reloaded, apps, stack, libraryCalibration, scriptEnv, workDir }, 0);
      const { log: _l, onHeader: _h, onWay: _w, ...rest } = settings;
      return { settings: rest, header, cliCalibration, libraryCalibration, ways: [], reloadWays };
    }
    // Way (r) on a pair of its own (lb3, lb4): its backend's servers are the stack's, added at run time.
    replaceRig = await openReplaceRig({ warmupMs: settings.warmupMs, firstVersion: "v0", log });
    const ways: WayResult[] = [];
    let stoppedEarly: string | undefined;
    let versionNumber = 0;
    runs: for (let run = 1; run <= settings.runs; run++) {
      for (const way of ["a", "b", "c", "r"] as const) {
        const version = `v${++versionNumber}`;
        try {
          await waitAllServing(lbs, apps, 30_000);
        } catch (error) {
          stoppedEarly = `before ${WAY_TITLES[way]} of run ${run}: the cluster did not recover from the previous deploy: ${(error as Error).message}`;
          break runs;
        }
        log(`run ${run}: ${WAY_TITLES[way]} → ${version}, under load`);
        if (way === "r") {
          const replaced = await runReplaceWay(settings, replaceRig, version);
          const { serving, load, deploy } = replaced;
          const wayResult: WayResult = { run, way, version, load, deploy, check: replaced.check, problems: replaced.problems, serving, replaced: replaced.replaced };
          ways.push(wayResult);
          log(`run ${run}: ${WAY_TITLES[way]}: ${load.failed} of ${load.sent} requests failed; deploy ${(deploy.split.wallMs / 1000).toFixed(1)} s; serving ${serving.summary}${wayResult.problems.length ? `; PROBLEMS: ${wayResult.problems.join("; ")}` : ""}`);
          settings.onWay?.(wayResult);
          if (deploy.error) {
            stoppedEarly = `${WAY_TITLES[way]} of run ${run} failed: ${deploy.error}`;
            break runs;
          }
          continue;
        }
        const scriptEnv: ScriptEnv = { apps, version, warmupMs: settings.warmupMs, stateDir, workDir, clusterEnv };
        const result = await underLoad(settings, lbs, async () => {
          if (way === "a") return deployWithCli(scriptEnv, cliCalibration, settings.deployTimeoutMs);
          if (way === "b") return deployWithPulumi(stack!, version, settings.warmupMs, libraryCalibration);
          return deployCarelessly(scriptEnv, settings.deployTimeoutMs);
        });
        // The careless way leaves apps warming up: give the cluster time to settle before judging.
        const check = await checkVersion(lbs, apps, version, way === "c" ? 20_000 : 5_000);
        const wayResult: WayResult = { run, way, version, ...result, check, problems: judge(way, settings, result.load, result.deploy, check) };
        ways.push(wayResult);
        log(`run ${run}: ${WAY_TITLES[way]}: ${result.load.failed} of ${result.load.sent} requests failed; deploy ${(result.deploy.split.wallMs / 1000).toFixed(1)} s${wayResult.problems.length ? `; PROBLEMS: ${wayResult.problems.join("; ")}` : ""}`);
        settings.onWay?.(wayResult);
        if (result.deploy.error) {
          // The cluster may be left half-deployed (a server drained): later ways would measure that, not themselves.
          stoppedEarly = `${WAY_TITLES[way]} of run ${run} failed: ${result.deploy.error}`;
          break runs;
        }
      }
    }
    const { log: _log, onHeader: _onHeader, onWay: _onWay, ...plain } = settings;
    return { settings: plain, header, cliCalibration, libraryCalibration, ways, ...(stoppedEarly ? { stoppedEarly } : {}) };
  } finally {
    await replaceRig?.stop().catch(() => undefined);
    await stack?.dispose().catch(() => undefined);
    await Promise.allSettled(lbs.map((lb) => lb.stop()));
    untrackApps();
    await stopApps();
    await removeDir(workDir);
    unhook();
  }
}

function judge(way: WayName, settings: BenchmarkSettings, load: LoadResult, deploy: DeployOutcome, check: VersionCheck): string[] {
  const problems: string[] = [];
  if (deploy.error) problems.push(deploy.error);
  if (way === "c") return problems;
  if (load.failed > 0) problems.push(`${load.failed} failed requests`);
  if (load.sent < settings.minRequestsPerWay) problems.push(`only ${load.sent} requests sent, fewer than ${settings.minRequestsPerWay}`);
  if (load.endedBy !== "finish") problems.push(`the load hit its bound (${load.endedBy}) before the deploy ended`);
  if (load.skipped > 0) problems.push(`${load.skipped} requests not sent: a frontend already had a full timeout's worth of requests open (a stall)`);
  problems.push(...check.problems);
  return problems;
}

function describeSetup(settings: BenchmarkSettings, lb: HaproxyInstance, apps: readonly AppSpec[], members: readonly string[]): string[] {
  const indent = (text: string) => text.split("\n").map((l) => `    ${l}`);
  const haproxyVersion = execFileSync("haproxy", ["-v"], { encoding: "utf8" }).split("\n")[0]!.replace(/ - https?:.*/, "");
  return [
    `Rolling deploy under load: 2 HAProxy (lb1, lb2) in front of ${apps.length} apps (examples/rolling-deploy/app.js) on 127.0.0.1; ${haproxyVersion}, Node ${process.version}, ${os.cpus().length} CPUs.`,
    `Apps: a deploy stops the running app gracefully (SIGTERM: it finishes requests in flight) and starts the new version, which listens within ~0.1 s but answers 503 to everything, /check included, for ${settings.warmupMs} ms (warm-up).`,
    `Load: ${settings.ratePerSecond} req/s over both frontends (${settings.ratePerSecond / 2} each), ${settings.connectionsPerFrontend} keep-alive connections per frontend (undici Pool), GET /${settings.slowEvery > 0 ? ` and, 1 in ${settings.slowEvery}, GET /slow?ms=${settings.slowMs} (requests in flight when a server goes out)` : ""}; a failure is any answer but 200, a connection error, or ${settings.requestTimeoutMs} ms without a full answer. Each way: ${settings.leadInMs} ms of load before the deploy, ≥ ${settings.tailMs} ms after, ≥ ${settings.minRequestsPerWay} requests.`,
    "",
    "HAProxy config (both instances; the rig adds the global section, a stats page with `stats admin`, and admin sockets):",
    ...indent(configExcerpt(lb)),
    "  chosen as a careful operator would:",
    ...OPERATOR_CHOICES.map((line) => `    - ${line}`),
    "",
    `Members: ${members.join("  ")}  (stats page password from HAPROXY_CLUSTER_PASSWORD / the stack's secret statsPassword)`,
    "",
    ...(settings.reloadMidDeploy
      ? [
          `(d) ${settings.reloadMidDeploy.member} reloaded while server1 is out for its restart. The held restart, bash -c:`,
          ...indent(withRestartHook(CLI_HELD_LOOP)),
          "the plain pattern (reload handling off while the app restarts), bash -c:",
          ...indent(withRestartHook(CLI_LOOP)),
          `pulumi up of examples/rolling-deploy after \`pulumi config set version vN\`; gate ${JSON.stringify(GATE)}, drain ${JSON.stringify(DRAIN)}`,
        ]
      : [
          "(a) the README's deploy-script pattern, run with bash -c (step records each command's wall time):",
          ...indent(CLI_LOOP),
          `(b) pulumi up of examples/rolling-deploy after \`pulumi config set version vN\`; gate ${JSON.stringify(GATE)}, drain ${JSON.stringify(DRAIN)}`,
          "(c) careless baseline, bash -c:",
          ...indent(CARELESS_LOOP),
          `(r) pulumi up of examples/replace-deploy after \`pulumi config set version vN\`, on lb3 and lb4 (same defaults and checks; backend ${BACKEND} holds the stack's servers, added at run time, and one configured server that never serves, seed: checked, weight 0, nothing listening): 3 app instances, each replaced new before old (a new process on a new port, its BackendServer added on both members and in rotation on fresh checks; then each old server removed behind the capacity guard, drain, sessions, and its process stopped); server settings ${JSON.stringify(SERVER_SETTINGS)}. The servers serving on lb3 and lb4 are read every 50 ms throughout.`,
        ]),
    `Each run deploys a fresh version each way (v1 → v2 → v3, …); ${settings.runs} run(s).`,
  ];
}
