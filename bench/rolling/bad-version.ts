// The bad-version scenario of the rolling benchmark (--bad-version): a release that passes
// /check but answers 500 to a share of real requests. Without analysis the rollout puts it
// on every server; with the analysis (the CLI pattern's `ready --wait --bake-seconds
// --on-failure drain`, and `pulumi up` of examples/rolling-deploy with config `analysis`)
// it stops after the first server, drained on every member, the others keeping the old
// version. Good deploys with and without the analysis give the time it adds.
import type { HaproxyInstance } from "../../test/support/haproxy";
import { appInputs, appProcess, type AppSpec } from "./apps";
import { underLoad } from "./load";
import type { WaySettings } from "./settings";
import { CLI_ANALYSED_LOOP, CLI_LOOP, runDeployScript, type ScriptEnv } from "./deploy-script";
import { BACKEND, waitAllServing } from "./haproxy";
import type { LoadResult } from "./load";
import type { PulumiStack } from "./pulumi-stack";
import { deployWithPulumi, type LibraryCalibration } from "./pulumi-way";
import type { DeployOutcome } from "./split";
import { checkVersion } from "./verify";

export interface BadVersionSettings {
  /** Share of the bad version's real requests that answer 500, percent. */
  failPercent: number;
  /** The analysis's bake window per server, seconds. */
  bakeSeconds: number;
}

export type BadWay = "cli-good" | "cli-good-analysed" | "pulumi-good" | "pulumi-good-analysed" | "cli-bad" | "cli-bad-analysed" | "pulumi-bad-analysed";

export const BAD_WAY_TITLES: Record<BadWay, string> = {
  "cli-good": "good version, CLI script, no analysis",
  "cli-good-analysed": "good version, CLI script with analysis",
  "pulumi-good": "good version, pulumi up, no analysis",
  "pulumi-good-analysed": "good version, pulumi up with analysis",
  "cli-bad": "BAD version, CLI script, no analysis",
  "cli-bad-analysed": "BAD version, CLI script with analysis (drain)",
  "pulumi-bad-analysed": "BAD version, pulumi up with analysis (drain)",
};

export interface BadWayResult {
  way: BadWay;
  version: string;
  load: LoadResult;
  wallMs: number;
  /** What the deploy said when it stopped (the verdict, for the analysed bad ways). */
  stopMessage?: string;
  /** Where each server ended: `server1 v7 (DRAIN, DRAIN)`. */
  endState: string[];
  /** Why this way did not do what it should; empty when it did. */
  problems: string[];
}

export interface BadVersionContext {
  settings: WaySettings;
  bad: BadVersionSettings;
  lbs: HaproxyInstance[];
  apps: AppSpec[];
  stack: PulumiStack;
  libraryCalibration: LibraryCalibration;
  scriptEnv(version: string, extra?: Partial<ScriptEnv>): ScriptEnv;
}

/** The scenario's printed results and exit code: 0 when every way did what it should. */
export function badVersionReport(results: readonly BadWayResult[], bad: BadVersionSettings): { code: number; lines: string[] } {
  const lines = [`Bad version: ${bad.failPercent}% of real requests answer 500, /check passes; analysis bake ${bad.bakeSeconds} s per server, onFailure drain.`, ""];
  lines.push("| way | failed / total | deploy wall | end state |", "|---|---:|---:|---|");
  for (const r of results) lines.push(`| ${BAD_WAY_TITLES[r.way]} → ${r.version} | ${r.load.failed} / ${r.load.sent} | ${(r.wallMs / 1000).toFixed(1)} s | ${r.endState.join("; ")} |`);
  lines.push("");
  const wall = (way: BadWay) => results.find((r) => r.way === way)?.wallMs;
  for (const [plain, analysed, how] of [["cli-good", "cli-good-analysed", "CLI script"], ["pulumi-good", "pulumi-good-analysed", "pulumi up"]] as const) {
    const a = wall(plain);
    const b = wall(analysed);
    if (a !== undefined && b !== undefined) lines.push(`The analysis added ${((b - a) / 1000).toFixed(1)} s to a good deploy of 3 servers through the ${how} (${(a / 1000).toFixed(1)} s → ${(b / 1000).toFixed(1)} s).`);
  }
  for (const r of results) {
    const kinds = [...r.load.failureKinds].map(([k, n]) => `${k} ${n}`).join(", ");
    if (r.load.failed > 0) lines.push(`${BAD_WAY_TITLES[r.way]}: failures ${kinds}; ${r.load.duringDeploy.failed} of them during the deploy`);
  }
  for (const r of results) if (r.stopMessage) lines.push(`${BAD_WAY_TITLES[r.way]} stopped with: ${r.stopMessage}`);
  const problems = results.flatMap((r) => r.problems.map((p) => `${BAD_WAY_TITLES[r.way]}: ${p}`));
  const goodFailures = results.filter((r) => /^good/.test(BAD_WAY_TITLES[r.way]) && r.load.failed > 0).map((r) => `${BAD_WAY_TITLES[r.way]}: ${r.load.failed} failed requests`);
  problems.push(...goodFailures);
  lines.push("", problems.length === 0 ? "OK: without analysis the bad version reached every server; with it the rollout stopped after the first server, drained on every member, the others on the old version; good deploys passed." : `PROBLEMS:\n${problems.map((p) => `  ${p}`).join("\n")}`);
  return { code: problems.length === 0 ? 0 : 1, lines };
}

export async function runBadVersionWays(ctx: BadVersionContext, firstVersion: number): Promise<BadWayResult[]> {
  const { settings, bad, lbs, apps } = ctx;
  const results: BadWayResult[] = [];
  let n = firstVersion;
  let good = "v0";
  const analysisConfig = JSON.stringify({ bakeSeconds: bad.bakeSeconds, onFailure: "drain", intervalSeconds: 1 });

  const run = async (way: BadWay, deploy: (version: string) => Promise<{ wallMs: number; error?: string }>, judge: (version: string, stopMessage: string | undefined) => Promise<{ endState: string[]; problems: string[] }>) => {
    const version = `v${++n}`;
    await waitAllServing(lbs, apps, 30_000);
    settings.log(`${BAD_WAY_TITLES[way]} → ${version}, under load`);
    const { load, deploy: outcome } = await underLoad(settings, lbs, async (): Promise<DeployOutcome> => {
      const d = await deploy(version);
      return { split: { wallMs: d.wallMs, appMs: 0, appIncludesWarmup: false, haproxyMs: 0, ownCodeMs: 0, otherMs: 0, method: [], details: [] }, ...(d.error ? { error: d.error } : {}) };
    });
    const judged = await judge(version, outcome.error);
    const result: BadWayResult = { way, version, load, wallMs: outcome.split.wallMs, stopMessage: outcome.error, ...judged };
    results.push(result);
    settings.log(`${BAD_WAY_TITLES[way]}: ${load.failed} of ${load.sent} requests failed; deploy ${(result.wallMs / 1000).toFixed(1)} s${result.problems.length ? `; PROBLEMS: ${result.problems.join("; ")}` : ""}`);
    return version;
  };

  const cli = (loop: string, failPercent: number, expectFailure: boolean) => async (version: string) => {
    const r = await runDeployScript(loop, ctx.scriptEnv(version, { failPercent, bakeSeconds: bad.bakeSeconds }), settings.deployTimeoutMs);
    const stopped = r.exitCode !== 0 ? r.outputTail.split("\n").filter((l) => /regressed|drained on every member/.test(l)).join(" ") || r.outputTail : undefined;
    if (!expectFailure && r.exitCode !== 0) return { wallMs: r.wallMs, error: `the deploy script exited with ${r.exitCode}: ${r.outputTail}` };
    return { wallMs: r.wallMs, error: stopped };
  };
  const pulumi = (failPercent: number, analysed: boolean) => async (version: string) => {
    const stack = ctx.stack.stack;
    if (failPercent > 0) await stack.setConfig("failPercent", { value: String(failPercent) });
    else await stack.removeConfig("failPercent");
    if (analysed) await stack.setConfig("analysis", { value: analysisConfig });
    else await stack.removeConfig("analysis");
    const outcome = await deployWithPulumi(ctx.stack, version, settings.warmupMs, ctx.libraryCalibration);
    const verdict = [...(outcome.diagnostics ?? []), ...(outcome.outputTail ?? "").split("\n")].find((l) => /analysis stopped the rollout/.test(l));
    return { wallMs: outcome.split.wallMs, error: outcome.error ? (verdict?.trim() ?? outcome.error) : undefined };
  };
  const allGood = async (version: string) => {
    const check = await checkVersion(lbs, apps, version, 5_000);
    good = version;
    return { endState: check.direct, problems: check.problems };
  };
  /** The first server on `badVersion` and drained on every member; the others serving `good`. */
  const stoppedAfterFirst = async (badVersion: string, message: string | undefined) => {
    const endState = await where();
    const problems: string[] = [];
    const [first, ...rest] = await versions();
    if (first !== badVersion) problems.push(`${apps[0]!.name} runs ${first}, expected the bad ${badVersion}`);
    rest.forEach((v, i) => v !== good && problems.push(`${apps[i + 1]!.name} runs ${v}, expected the old ${good}`));
    for (const lb of lbs) {
      const status = (await lb.stat(BACKEND, apps[0]!.name)).status;
      if (!status.startsWith("DRAIN")) problems.push(`${lb.name} shows ${apps[0]!.name} ${status}, expected DRAIN`);
    }
    if (!message || !/regressed/.test(message)) problems.push(`the deploy did not stop with a verdict: ${message ?? "it succeeded"}`);
    return { endState, problems };
  };
  const versions = () => Promise.all(apps.map(async (a) => (await appProcess.probe("127.0.0.1", a.port))?.version ?? "nothing"));
  const where = async () => {
    const vs = await versions();
    return Promise.all(apps.map(async (a, i) => `${a.name} ${vs[i]} (${(await Promise.all(lbs.map(async (lb) => (await lb.stat(BACKEND, a.name)).status))).join(", ")})`));
  };
  /** After a stopped rollout: the first server back on the good version and in rotation, as an operator would fix it. */
  const repairFirst = async () => {
    await appProcess.stopApp(appInputs(apps[0]!, good, 0, ctx.scriptEnv(good).stateDir));
    await appProcess.startApp(appInputs(apps[0]!, good, 0, ctx.scriptEnv(good).stateDir));
    for (const lb of lbs) await lb.runtime(`set server ${BACKEND}/${apps[0]!.name} state ready`);
  };

  await run("cli-good", cli(CLI_LOOP, 0, false), allGood);
  await run("cli-good-analysed", cli(CLI_ANALYSED_LOOP, 0, false), allGood);
  await run("pulumi-good", pulumi(0, false), allGood);
  await run("pulumi-good-analysed", pulumi(0, true), allGood);
  const badAll = await run("cli-bad", cli(CLI_LOOP, bad.failPercent, false), async (version) => {
    const vs = await versions();
    const problems = vs.flatMap((v, i) => (v === version ? [] : [`${apps[i]!.name} runs ${v}, expected the bad ${version} (no analysis: nothing stops it)`]));
    return { endState: await where(), problems };
  });
  // Fix forward to a good version (not measured), as an operator would.
  settings.log(`repairing: a good version over ${badAll} with the CLI script, no load`);
  const repair = `v${++n}`;
  const repaired = await runDeployScript(CLI_LOOP, ctx.scriptEnv(repair), settings.deployTimeoutMs);
  if (repaired.exitCode !== 0) throw new Error(`repairing after the bad version failed: ${repaired.outputTail}`);
  good = repair;
  await run("cli-bad-analysed", cli(CLI_ANALYSED_LOOP, bad.failPercent, true), stoppedAfterFirst);
  await repairFirst();
  await run("pulumi-bad-analysed", pulumi(bad.failPercent, true), stoppedAfterFirst);
  await repairFirst();
  return results;
}
