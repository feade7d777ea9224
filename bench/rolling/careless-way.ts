// Way (c): the careless baseline, as people deploy without this tool: restart each app in
// turn, no drain, no waiting for health checks; move on as soon as the new process listens
// (it is still warming up, answering 503). Same restart command, same warm-up as (a).
// Time split: the restart command reports stop and start; nothing waits on HAProxy, no tool
// runs; the rest of the wall time is bash and the restart command's Node start.
import { CARELESS_LOOP, runDeployScript, type ScriptEnv } from "./deploy-script";
import { seconds, type DeployOutcome } from "./split";

export async function deployCarelessly(env: ScriptEnv, timeoutMs: number): Promise<DeployOutcome> {
  const run = await runDeployScript(CARELESS_LOOP, env, timeoutMs);
  const appMs = run.restarts.reduce((sum, r) => sum + r.stopMs + r.startMs, 0);
  const outcome: DeployOutcome = {
    split: {
      wallMs: run.wallMs,
      appMs,
      appIncludesWarmup: false,
      haproxyMs: 0,
      ownCodeMs: 0,
      otherMs: run.wallMs - appMs,
      method: [`apps = stop + start only: the loop does not wait out the ${env.warmupMs} ms warm-ups (the apps answer 503 meanwhile)`],
      details: run.restarts.map((r) => `${r.name}: stop ${seconds(r.stopMs)} (${r.stopOutcome}), start ${seconds(r.startMs)}`),
    },
    outputTail: run.outputTail,
  };
  if (run.exitCode !== 0) outcome.error = `the restart loop exited with ${run.exitCode}`;
  else if (run.restarts.length !== env.apps.length) outcome.error = `the restart loop restarted ${run.restarts.length} apps, expected ${env.apps.length}`;
  return outcome;
}
