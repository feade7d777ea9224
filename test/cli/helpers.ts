// Runs the built CLI as a child process (as a user would) and puts a rig cluster back in
// its starting state between tests. The child's PID is tracked by the rig's registry so
// a failed test never leaves one behind.
import { spawn } from "node:child_process";
import path from "node:path";
import { waitFor } from "../support/deadline";
import { startCluster, type Cluster } from "../support/haproxy";
import { trackPid, untrackPid } from "../support/registry";

export const CLI = path.resolve(__dirname, "../../provider/cli/main.js");

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Wall-clock time from spawn to exit. */
  ms: number;
  /** Date.now() at exit. */
  endedAt: number;
}

export interface CliOptions {
  /** Added to a clean environment (no HAPROXY_CLUSTER_*, no NO_COLOR from the caller). */
  env?: Record<string, string | undefined>;
  /** Kill the CLI (and fail) after this long. Default 60 s. */
  timeoutMs?: number;
}

export interface RunningCli {
  readonly pid: number;
  /** Resolves with the first `count` stdout lines once they are printed. */
  stdoutLines(count: number, timeoutMs?: number): Promise<string[]>;
  /** Resolves with the match once stdout matches. */
  stdoutMatch(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Resolves once stderr matches. */
  stderrMatch(pattern: RegExp, timeoutMs?: number): Promise<void>;
  readonly result: Promise<CliResult>;
  kill(signal?: NodeJS.Signals): void;
}

function cleanEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("HAPROXY_CLUSTER_") && k !== "NO_COLOR" && k !== "NODE_OPTIONS") env[k] = v;
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) env[k] = v;
  return env;
}

export function startCli(args: string[], options: CliOptions = {}): RunningCli {
  const started = Date.now();
  const child = spawn(process.execPath, [CLI, ...args], { env: cleanEnv(options.env), stdio: ["ignore", "pipe", "pipe"] });
  const pid = child.pid!;
  trackPid(pid, `cli ${args[0]}`);
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
  child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
  const timeoutMs = options.timeoutMs ?? 60_000;
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  const result = new Promise<CliResult>((resolve) => {
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      untrackPid(pid);
      const endedAt = Date.now();
      resolve({ code, signal, stdout, stderr, ms: endedAt - started, endedAt });
    });
  });
  return {
    pid,
    result,
    kill: (signal = "SIGTERM") => void child.kill(signal),
    stdoutLines: (count, ms = 20_000) =>
      waitFor(`${count} stdout lines from haproxy-cluster ${args.join(" ")}`, (note) => {
        const lines = stdout.split("\n").slice(0, -1);
        note(JSON.stringify({ stdout, stderr }));
        return lines.length >= count ? lines.slice(0, count) : undefined;
      }, { timeoutMs: ms, intervalMs: 20 }),
    stdoutMatch: (pattern, ms = 20_000) =>
      waitFor(`stdout to match ${pattern}`, (note) => {
        note(JSON.stringify({ stdout, stderr }));
        return pattern.exec(stdout) ?? undefined;
      }, { timeoutMs: ms, intervalMs: 20 }),
    stderrMatch: (pattern, ms = 20_000) =>
      waitFor(`stderr to match ${pattern}`, (note) => {
        note(JSON.stringify(stderr));
        return pattern.test(stderr) ? true : undefined;
      }, { timeoutMs: ms, intervalMs: 20 }).then(() => undefined),
  };
}

export function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  return startCli(args, options).result;
}

/** A one-line description of a result for assertion messages. */
export function show(r: CliResult): string {
  return `exit ${r.code}${r.signal ? ` (${r.signal})` : ""} after ${r.ms} ms\n--- stdout ---\n${r.stdout}--- stderr ---\n${r.stderr}`;
}

/** Member specs of a rig cluster: unix socket of lb1, TCP Runtime API of lb2 (and so on, alternating). */
export function runtimeMembers(cluster: Cluster): string[] {
  return cluster.lbs.map((lb, i) => (i % 2 === 0 ? `unix:${lb.adminSocket}` : lb.tcpSocket));
}

/** Stats page URL with the generated credentials in it. */
export function httpMemberWithPassword(lb: Cluster["lbs"][number]): string {
  const auth = lb.statsAuth!;
  return lb.statsUrl.replace("http://", `http://${auth.user}:${encodeURIComponent(auth.password)}@`);
}

/**
 * Every server ready with health checks on, every app ready and holding no request, and
 * every member seeing every server UP after a passed check: the state each test starts from.
 */
export async function resetCluster(cluster: Cluster): Promise<void> {
  // A request a failed test held open (until released) would keep its session counted.
  await Promise.all(cluster.apps.map(async (app) => (await app.setReady(true), await app.releaseHeld())));
  for (const lb of cluster.lbs) {
    for (const app of cluster.apps) {
      const target = `${cluster.backend}/${app.name}`;
      await lb.runtime(`set server ${target} state ready`);
      await lb.runtime(`enable health ${target}`);
      await lb.runtime(`set weight ${target} 1`);
    }
  }
  await Promise.all(
    cluster.lbs.flatMap((lb) =>
      cluster.apps.map((app) => lb.waitForRow(cluster.backend, app.name, (r) => r.status === "UP" && r.check_status.replace(/^\* /, "") === "L7OK" && r.scur === "0", 15_000)),
    ),
  );
}

/**
 * For a describe block: a cluster of 2 HAProxy members × 3 apps started once, reset to
 * every server serving after each test, stopped after the block. `use` receives the
 * cluster and its Runtime API member specs once it has started.
 */
export function useTwoMemberCluster(use: (cluster: Cluster, members: string[]) => void): void {
  let cluster: Cluster | undefined;
  before(async function () {
    const started = await startCluster({ members: 2, servers: 3 });
    cluster = started;
    use(started, runtimeMembers(started));
  });
  after(async function () {
    await cluster?.stop();
  });
  afterEach(async function () {
    await resetCluster(cluster!);
  });
}
