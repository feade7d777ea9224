// Way (a): the README's deploy-script pattern with the haproxy-cluster CLI, and the
// calibration that finds the CLI's own fixed cost per invocation.
//
// Time split: every step of the loop is timed by bash. The restart command reports its
// stop and start halves. The CLI's own cost per invocation (Node start, loading, parsing,
// connecting, one read and the action when nothing needs waiting) is measured beforehand by
// running the same commands against a state that already satisfies them (wait with
// --min-checks 1 on a healthy backend, drain of a drained idle server, ready of a serving
// server), median of a few runs; that times the number of invocations is the tool's share.
// Waiting on HAProxy = the CLI steps' time − the tool's share − the warm-ups (`ready --wait`
// cannot pass before the new app's warm-up is over, so the warm-up is spent inside it and
// counted as the app's). Other = the rest of the wall time (bash, the restart command's Node).
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import type { AppSpec } from "./apps";
import { CLI_LOOP, cliEnv, runDeployScript, type ScriptEnv } from "./deploy-script";
import { median, seconds, type DeployOutcome } from "./split";

export interface CliCalibration {
  rounds: number;
  /** `wait --min-checks 1` on a backend that is already safe, ms (median). */
  waitMs: number;
  /** `drain --wait --sessions …` of a server already drained and idle, ms. */
  drainMs: number;
  /** `ready --wait` of a server already serving, ms. */
  readyMs: number;
  /** `node -e 0`: the floor any Node command pays, ms. */
  nodeMs: number;
}

const BACKEND = ["--backend", "myapp"];

/** Times the CLI against already-satisfied states. Run it with no load and a healthy backend; leaves `server` serving. */
export async function calibrateCli(workDir: string, clusterEnv: Record<string, string>, server: AppSpec, rounds: number): Promise<CliCalibration> {
  const env = cliEnv(workDir, clusterEnv);
  const time = async (args: string[]): Promise<number> => {
    const started = performance.now();
    try {
      await promisify(execFile)(args[0]!, args.slice(1), { env, timeout: 120_000 });
    } catch (error) {
      const { stdout = "", stderr = "" } = error as { stdout?: string; stderr?: string };
      throw new Error(`calibration: ${args.join(" ")} failed: ${(error as Error).message}\n${stdout}${stderr}`);
    }
    return performance.now() - started;
  };
  const repeat = async (args: string[]): Promise<number> => {
    const samples: number[] = [];
    for (let i = 0; i < rounds; i++) samples.push(await time(args));
    return median(samples);
  };
  const target = [...BACKEND, "--server", server.name];
  const nodeMs = await repeat([process.execPath, "-e", "0"]);
  const waitMs = await repeat(["haproxy-cluster", "wait", ...BACKEND, "--threshold", "80", "--min-checks", "1", "--interval", "0.5", "--timeout", "60"]);
  const drain = ["haproxy-cluster", "drain", ...target, "--wait", "--sessions", "--sessions-timeout", "30", "--shutdown-sessions"];
  const ready = ["haproxy-cluster", "ready", ...target, "--wait", "--timeout", "60"];
  await time(drain); // the real drain; the repeats find it done
  const drainMs = await repeat(drain);
  await time(ready); // the real ready, on fresh checks; the repeats find it serving
  const readyMs = await repeat(ready);
  return { rounds, waitMs, drainMs, readyMs, nodeMs };
}

export async function deployWithCli(env: ScriptEnv, calibration: CliCalibration, timeoutMs: number): Promise<DeployOutcome> {
  const run = await runDeployScript(CLI_LOOP, env, timeoutMs);
  const cliSteps = run.steps.filter((s) => s.step !== "restart");
  const cost: Record<string, number> = { wait: calibration.waitMs, drain: calibration.drainMs, ready: calibration.readyMs };
  const ownCodeMs = cliSteps.reduce((sum, s) => sum + (cost[s.step] ?? 0), 0);
  const cliMs = cliSteps.reduce((sum, s) => sum + s.ms, 0);
  const warmupMs = env.warmupMs * run.restarts.length;
  const appMs = run.restarts.reduce((sum, r) => sum + r.stopMs + r.startMs, 0) + warmupMs;
  const haproxyMs = cliMs - ownCodeMs - warmupMs;
  const details = env.apps.map((app) => {
    const of = (step: string) => run.steps.filter((s) => s.server === app.name && s.step === step).map((s) => seconds(s.ms)).join("+") || "-";
    const r = run.restarts.find((x) => x.name === app.name);
    const restart = r ? `restart ${of("restart")} (stop ${seconds(r.stopMs)}, start ${seconds(r.startMs)})` : `restart ${of("restart")}`;
    return `${app.name}: wait ${of("wait")}, drain ${of("drain")}, ${restart}, ready ${of("ready")}`;
  });
  const outcome: DeployOutcome = {
    split: {
      wallMs: run.wallMs,
      appMs,
      appIncludesWarmup: true,
      haproxyMs,
      ownCodeMs,
      otherMs: run.wallMs - appMs - haproxyMs - ownCodeMs,
      method: [
        `${cliSteps.length} CLI invocations, ${seconds(cliMs)} in all; own code = invocations × their fixed cost against an already-satisfied state (wait ${calibration.waitMs.toFixed(0)} ms, drain ${calibration.drainMs.toFixed(0)} ms, ready ${calibration.readyMs.toFixed(0)} ms; node -e 0 alone ${calibration.nodeMs.toFixed(0)} ms)`,
        `HAProxy = CLI time − own code − ${run.restarts.length} warm-ups of ${env.warmupMs} ms (spent inside ready --wait)`,
      ],
      details,
    },
    outputTail: run.outputTail,
  };
  const expected = env.apps.length * 4;
  if (run.exitCode !== 0) outcome.error = `the deploy script exited with ${run.exitCode}`;
  else if (run.steps.length !== expected) outcome.error = `the deploy script recorded ${run.steps.length} steps, expected ${expected}`;
  return outcome;
}
