// Runs a deploy script as an operator would: a real `bash -c` loop over the servers, with
// `haproxy-cluster` on PATH and the members and password in the environment. Each step
// records its wall time (bash's $EPOCHREALTIME) and each app restart its stop/start halves,
// so the deploy's time can be split afterwards.
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { trackPid, untrackPid } from "../../test/support/registry";
import { REPO_ROOT, type AppSpec, type RestartRecord } from "./apps";

export const CLI_MAIN = path.join(REPO_ROOT, "dist", "provider", "cli", "main.js");
export const RESTART_APP = path.join(__dirname, "restart-app.js");

/** `step NAME COMMAND...` runs COMMAND and appends `NAME SERVER START END` to $BENCH_TIMINGS. */
const STEP_FUNCTION = `set -o errexit -o nounset -o pipefail
step() {
  local name=$1 started=$EPOCHREALTIME
  shift
  "$@"
  echo "$name $server $started $EPOCHREALTIME" >>"$BENCH_TIMINGS"
}
`;

const RESTART = `step restart node "$BENCH_RESTART_APP" --name "$server" --port "$port" --version "$BENCH_VERSION" \\
    --warmup-ms "$BENCH_WARMUP_MS" --fail-percent "$BENCH_FAIL_PERCENT" --state-dir "$BENCH_STATE_DIR" --record "$BENCH_RESTARTS"`;

/** (a): the README's deploy-script pattern, with fresh-check `ready` and short intervals. */
export const CLI_LOOP = `for app in $BENCH_APPS; do            # server1:PORT server2:PORT server3:PORT
  server=\${app%%:*} port=\${app##*:}
  step wait    haproxy-cluster wait  --backend myapp --threshold 80 --min-checks 3 --interval 0.5 --timeout 60
  step drain   haproxy-cluster drain --backend myapp --server "$server" --wait --sessions --sessions-timeout 30 --shutdown-sessions
  ${RESTART}
  step ready   haproxy-cluster ready --backend myapp --server "$server" --wait --timeout 60
done`;

/**
 * The held restart (README "Reloads"): one `drain … -- COMMAND` per server drains, waits for
 * the sessions, runs the restart while holding the drain (draining again on a member that
 * reloads meanwhile), then puts the server back on fresh checks and waits.
 */
export const CLI_HELD_LOOP = `for app in $BENCH_APPS; do
  server=\${app%%:*} port=\${app##*:}
  step wait    haproxy-cluster wait  --backend myapp --threshold 80 --min-checks 3 --interval 0.5 --timeout 60
  step held    haproxy-cluster drain --backend myapp --server "$server" --sessions --sessions-timeout 30 --shutdown-sessions \\
                 --ready-timeout 60 -- ${RESTART.replace(/^step restart /, "")}
done`;

/** Way (d): the loop's restart with its hook (restart-app.ts --signal-file, --before-stop-ms). */
export function withRestartHook(loop: string): string {
  return loop.replaceAll(`--record "$BENCH_RESTARTS"`, `--record "$BENCH_RESTARTS" \\
    --signal-file "$BENCH_SIGNAL_FILE" --before-stop-ms "$BENCH_BEFORE_STOP_MS"`);
}

/** The README's pattern with the analysis: each server is judged once back; a regression drains it and stops the loop (errexit). */
export const CLI_ANALYSED_LOOP = CLI_LOOP.replace(
  `--wait --timeout 60\ndone`,
  `--wait --timeout 60 \\
                 --bake-seconds "$BENCH_BAKE_SECONDS" --on-failure drain\ndone`,
);

/** (c): the careless baseline: restart each app in turn, move on as soon as it listens. */
export const CARELESS_LOOP = `for app in $BENCH_APPS; do
  server=\${app%%:*} port=\${app##*:}
  ${RESTART}
done`;

export interface StepTiming {
  step: string;
  server: string;
  ms: number;
}

export interface ScriptRun {
  wallMs: number;
  exitCode: number | null;
  steps: StepTiming[];
  restarts: RestartRecord[];
  /** The last lines the script printed (stdout and stderr), for failures and for -v. */
  outputTail: string;
}

export interface ScriptEnv {
  apps: readonly AppSpec[];
  version: string;
  warmupMs: number;
  stateDir: string;
  /** A scratch dir for the timing files and the PATH entry of `haproxy-cluster`. */
  workDir: string;
  /** HAPROXY_CLUSTER_MEMBERS, HAPROXY_CLUSTER_USER, HAPROXY_CLUSTER_PASSWORD. */
  clusterEnv: Record<string, string>;
  /** A bad release: this share of the new version's real requests answers 500. Default 0. */
  failPercent?: number;
  /** For CLI_ANALYSED_LOOP: ready's --bake-seconds. */
  bakeSeconds?: number;
  /** For withRestartHook: the file the restarts announce themselves in, and their pause before stopping the old app, ms. */
  signalFile?: string;
  beforeStopMs?: number;
}

/** A dir on PATH with `haproxy-cluster`, as `npm install -g` would provide it. */
export function cliBinDir(workDir: string): string {
  const bin = path.join(workDir, "bin");
  if (!fs.existsSync(path.join(bin, "haproxy-cluster"))) {
    fs.mkdirSync(bin, { recursive: true });
    fs.symlinkSync(CLI_MAIN, path.join(bin, "haproxy-cluster"));
  }
  return bin;
}

export function cliEnv(workDir: string, clusterEnv: Record<string, string>): NodeJS.ProcessEnv {
  return { ...process.env, ...clusterEnv, NO_COLOR: "1", PATH: `${cliBinDir(workDir)}${path.delimiter}${process.env.PATH ?? ""}` };
}

const OUTPUT_LIMIT = 16 * 1024;

export async function runDeployScript(loop: string, env: ScriptEnv, timeoutMs: number): Promise<ScriptRun> {
  const stamp = `${env.version}-${Date.now()}`;
  const timings = path.join(env.workDir, `timings-${stamp}.txt`);
  const restarts = path.join(env.workDir, `restarts-${stamp}.jsonl`);
  const started = performance.now();
  const child = spawn("bash", ["-c", `${STEP_FUNCTION}${loop}\n`], {
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      ...cliEnv(env.workDir, env.clusterEnv),
      BENCH_APPS: env.apps.map((a) => `${a.name}:${a.port}`).join(" "),
      BENCH_VERSION: env.version,
      BENCH_WARMUP_MS: String(env.warmupMs),
      BENCH_FAIL_PERCENT: String(env.failPercent ?? 0),
      BENCH_BAKE_SECONDS: String(env.bakeSeconds ?? 0),
      BENCH_SIGNAL_FILE: env.signalFile ?? "/dev/null",
      BENCH_BEFORE_STOP_MS: String(env.beforeStopMs ?? 0),
      BENCH_STATE_DIR: env.stateDir,
      BENCH_RESTART_APP: RESTART_APP,
      BENCH_TIMINGS: timings,
      BENCH_RESTARTS: restarts,
    },
  });
  if (child.pid !== undefined) trackPid(child.pid, `deploy script ${env.version}`);
  let output = "";
  const keep = (chunk: Buffer): void => void (output = (output + chunk.toString()).slice(-OUTPUT_LIMIT));
  child.stdout.on("data", keep);
  child.stderr.on("data", keep);
  const timer = setTimeout(() => {
    output += `\n[benchmark: the script ran longer than ${timeoutMs} ms; killed]\n`;
    child.kill("SIGKILL");
  }, timeoutMs);
  const exitCode = await new Promise<number | null>((resolve) => {
    child.once("error", (error) => {
      output += `\nspawn error: ${error.message}`;
      resolve(null);
    });
    child.once("close", (code) => resolve(code));
  });
  clearTimeout(timer);
  if (child.pid !== undefined) untrackPid(child.pid);
  const wallMs = performance.now() - started;
  const steps = readLines(timings).map((line) => {
    const [step, server, from, to] = line.split(" ");
    return { step: step!, server: server!, ms: (Number(to) - Number(from)) * 1000 };
  });
  const restartRecords = readLines(restarts).map((line) => JSON.parse(line) as RestartRecord);
  return { wallMs, exitCode, steps, restarts: restartRecords, outputTail: output.split("\n").slice(-40).join("\n") };
}

function readLines(file: string): string[] {
  try {
    return fs.readFileSync(file, "utf8").split("\n").filter((l) => l.trim() !== "");
  } catch {
    return [];
  }
}
