// Way (d) of the rolling benchmark (--reload-mid-deploy): one member is reloaded (-sf) while
// the first server is out for its restart, in each deploy form, with and without the
// README's state-file configuration (both members run it; "without" reloads with no state
// saved, so the new process starts every server from its configuration, as a reload
// without that configuration does). With the state file the drain survives: 0 failed
// requests. Without it, a process of ours that holds the drain (the held restart
// `drain … -- COMMAND`, a RollingDeploy step) drains the server again within one poll; the
// plain shell pattern (separate drain / restart / ready) has no process of ours running
// then: reload handling off. Same load, same apps, side by side.
import { HOLD_INTERVAL_SECONDS } from "../../provider/cluster/hold";
import type { HaproxyInstance } from "../../test/support/haproxy";
import type { AppSpec } from "./apps";
import { underLoad } from "./load";
import type { WaySettings } from "./settings";
import path from "node:path";
import { CLI_HELD_LOOP, CLI_LOOP, runDeployScript, withRestartHook, type ScriptEnv } from "./deploy-script";
import { waitAllServing } from "./haproxy";
import type { LoadResult } from "./load";
import type { PulumiStack } from "./pulumi-stack";
import { deployWithPulumi, type LibraryCalibration } from "./pulumi-way";
import { ReloadWatch, type ReloadObservation } from "./reload-watch";
import { seconds, type DeployOutcome } from "./split";
import { checkVersion, type VersionCheck } from "./verify";

/**
 * The restart command's pause between its start (when the member is reloaded) and stopping
 * the old app, ms: longer than one hold poll, so a process of ours that holds the drain has
 * the chance to apply it again before the app goes away.
 */
export const BEFORE_STOP_MS = 2000;

/** How often a RollingDeploy step's hold and the CLI's held restart read the cluster, ms. */
export const HOLD_POLL_MS = HOLD_INTERVAL_SECONDS * 1000;

export type ReloadWay = "cli-held-state" | "cli-held" | "cli-plain" | "pulumi" | "pulumi-state";

interface ReloadVariant {
  title: string;
  form: "cli-held" | "cli-plain" | "pulumi";
  saveState: boolean;
  /** A process of ours holds the drain while the app restarts. */
  handled: boolean;
}

export const RELOAD_VARIANTS: Record<ReloadWay, ReloadVariant> = {
  "cli-held-state": { title: "(d) CLI held restart, state file", form: "cli-held", saveState: true, handled: true },
  "cli-held": { title: "(d) CLI held restart, no state file", form: "cli-held", saveState: false, handled: true },
  "cli-plain": { title: "(d) CLI plain drain/restart/ready, no state file (handling off)", form: "cli-plain", saveState: false, handled: false },
  pulumi: { title: "(d) pulumi up, no state file", form: "pulumi", saveState: false, handled: true },
  "pulumi-state": { title: "(d) pulumi up, state file", form: "pulumi", saveState: true, handled: true },
};

export const RELOAD_WAYS = Object.keys(RELOAD_VARIANTS) as ReloadWay[];

export interface ReloadWayResult {
  run: number;
  way: ReloadWay;
  version: string;
  load: LoadResult;
  wallMs: number;
  reload: ReloadObservation;
  check: VersionCheck;
  /** Failed requests through the reloaded member's frontend (of the failures kept). */
  failedThroughReloaded: number;
  /** The deploy's own lines about the reload (the CLI's warnings). */
  warnings: string[];
  deployError?: string;
  /** Why this way broke its promise; empty when it kept it. */
  problems: string[];
}

export interface ReloadContext {
  settings: WaySettings;
  lbs: HaproxyInstance[];
  /** The member reloaded mid-deploy. */
  reloaded: HaproxyInstance;
  apps: AppSpec[];
  stack: PulumiStack;
  libraryCalibration: LibraryCalibration;
  scriptEnv(version: string): ScriptEnv;
  /** A scratch dir for the restart commands' announcements. */
  workDir: string;
}

export async function runReloadWays(ctx: ReloadContext, firstVersion: number): Promise<ReloadWayResult[]> {
  const { settings, lbs, apps, reloaded } = ctx;
  const results: ReloadWayResult[] = [];
  let n = firstVersion;
  let current = "v0";
  for (let run = 1; run <= settings.runs; run++) {
    for (const way of RELOAD_WAYS) {
      const variant = RELOAD_VARIANTS[way];
      const version = `v${++n}`;
      await waitAllServing(lbs, apps, 30_000);
      settings.log(`${variant.title} → ${version}, under load; ${reloaded.name} reloaded once ${apps[0]!.name} is out`);
      const signalFile = path.join(ctx.workDir, `restarting-${version}.txt`);
      const trigger = variant.form === "pulumi" ? { drainedOn: lbs } : { signalFile };
      const watch = new ReloadWatch({ lb: reloaded, trigger, app: apps[0]!, oldVersion: current, newVersion: version, saveState: variant.saveState });
      let warnings: string[] = [];
      const { load, deploy } = await underLoad(settings, lbs, async (): Promise<DeployOutcome> => {
        watch.start();
        const started = performance.now();
        let error: string | undefined;
        if (variant.form === "pulumi") {
          const outcome = await deployWithPulumi(ctx.stack, version, settings.warmupMs, ctx.libraryCalibration);
          error = outcome.error;
          warnings = (outcome.diagnostics ?? []).filter((l) => /reload/i.test(l));
        } else {
          const loop = withRestartHook(variant.form === "cli-held" ? CLI_HELD_LOOP : CLI_LOOP);
          const script = await runDeployScript(loop, { ...ctx.scriptEnv(version), signalFile, beforeStopMs: BEFORE_STOP_MS }, settings.deployTimeoutMs);
          if (script.exitCode !== 0) error = `the deploy script exited with ${script.exitCode}: ${script.outputTail}`;
          warnings = script.outputTail.split("\n").filter((l) => /reload/i.test(l));
        }
        const wallMs = performance.now() - started;
        return { split: { wallMs, appMs: 0, appIncludesWarmup: false, haproxyMs: 0, ownCodeMs: 0, otherMs: 0, method: [], details: [] }, ...(error ? { error } : {}) };
      });
      const reload = await watch.finish();
      const check = await checkVersion(lbs, apps, version, 10_000);
      const failedThroughReloaded = load.failures.filter((f) => f.frontend.startsWith(reloaded.frontendUrl)).length;
      const result: ReloadWayResult = { run, way, version, load, wallMs: deploy.split.wallMs, reload, check, failedThroughReloaded, warnings, ...(deploy.error ? { deployError: deploy.error } : {}), problems: [] };
      result.problems = judge(variant, result);
      results.push(result);
      settings.log(`${variant.title}: ${load.failed} of ${load.sent} requests failed; ${describeHold(result)}${result.problems.length ? `; PROBLEMS: ${result.problems.join("; ")}` : ""}`);
      if (deploy.error) return results; // a server may be left drained: later ways would measure that
      current = version;
    }
  }
  return results;
}

function judge(variant: ReloadVariant, r: ReloadWayResult): string[] {
  const problems: string[] = [];
  if (r.deployError) problems.push(r.deployError);
  if (!r.reload.landed) problems.push(`the reload did not land while the server was out: ${r.reload.error ?? "unknown"}`);
  else if (r.reload.appAtReloaded === "new") problems.push("the reload landed after the app had already warmed up: nothing measured");
  if (r.reload.error && r.reload.landed) problems.push(`reading the reloaded member failed: ${r.reload.error}`);
  problems.push(...r.check.problems);
  if (variant.saveState) {
    if (r.reload.landed && !r.reload.keptAcrossReload) problems.push("the state file did not keep the drain across the reload");
    if (r.load.failed > 0) problems.push(`${r.load.failed} failed requests with the state file`);
  } else if (variant.handled && r.reload.landed) {
    const after = r.reload.reappliedAfterMs;
    // One poll interval, plus one read of the cluster and the drain's round trip.
    // Not applied again is fine when the hold ended (the restart was over, the server coming back on fresh checks) before it could take traffic.
    if (after === undefined && (r.reload.exposedMs ?? 0) > 0) problems.push("the drain was never applied again on the reloaded member, which sent traffic to the restarting app");
    else if (after !== undefined && after > HOLD_POLL_MS * 2) problems.push(`the drain was applied again only after ${seconds(after)}, more than one poll interval (${seconds(HOLD_POLL_MS)}) and a read`);
  }
  return problems;
}

/** When the kept failures started, relative to the reload's start (the watch starts with the deploy). */
function failureWindow(r: ReloadWayResult): string {
  const startMs = r.load.deployWindow?.startMs;
  const triggerMs = r.reload.triggerAfterMs;
  const kept = r.load.failures;
  if (startMs === undefined || triggerMs === undefined || kept.length === 0) return "";
  const at = (ms: number) => `${((ms - startMs - triggerMs) / 1000).toFixed(2)} s`;
  const through = new Set(kept.map((f) => f.frontend)).size;
  return `; started ${at(kept[0]!.atMs)} to ${at(kept[kept.length - 1]!.atMs)} from the reload's start, through ${through} frontend(s)`;
}

/** What became of the drain on the reloaded member. */
function drainOutcome(r: ReloadWayResult): string {
  const o = r.reload;
  if (!o.landed) return "no reload";
  if (o.keptAcrossReload) return "kept (state file)";
  if (o.reappliedAfterMs !== undefined) return `applied again after ${seconds(o.reappliedAfterMs)}`;
  if (!RELOAD_VARIANTS[r.way].handled) return "lost (nothing of ours running)";
  return "not applied again: the restart was over before the next poll";
}

export function describeHold(r: ReloadWayResult): string {
  return `drain ${drainOutcome(r)}; in rotation there ${seconds(r.reload.exposedMs ?? 0)} while its app was down or warming`;
}

/** The scenario's printed results and exit code: 0 when every way kept its promise. */
export function reloadReport(results: readonly ReloadWayResult[], reloaded: string, settings: WaySettings): { code: number; lines: string[] } {
  const lines = [
    `Reload mid-deploy: ${reloaded} reloaded (-sf) as server1's restart begins: the CLI forms' restart command announces itself, then keeps the old app serving ${BEFORE_STOP_MS} ms before stopping it; pulumi up's deploy step (no hook) restarts at once, so the reload starts as soon as server1 shows drained on every member. ${settings.ratePerSecond} req/s, warm-up ${settings.warmupMs} ms.`,
    `State file: both members run the README's server-state-file configuration; "state file" saves the state before the reload, "no state file" reloads without it (every server from the configuration).`,
    "",
    "| run | way | failed / total | through the reloaded member | longest request | drain on the reloaded member | in rotation there while the app was down or warming | reload landed (app) | deploy wall | end state |",
    "|---|---|--:|--:|--:|---|--:|---|--:|---|",
  ];
  for (const r of results) {
    const o = r.reload;
    const drain = drainOutcome(r);
    lines.push(
      `| ${r.run} | ${RELOAD_VARIANTS[r.way].title} → ${r.version} | ${r.load.failed} / ${r.load.sent} | ${r.failedThroughReloaded}${r.load.failed > r.load.failures.length ? "+ (of the failures kept)" : ""} | ${r.load.maxLatencyMs.toFixed(0)} ms | ${drain} | ${seconds(o.exposedMs ?? 0)} | ${o.landed ? `${o.appAtReload} → ${o.appAtReloaded ?? "?"}, ${seconds(o.triggerAfterMs ?? 0)} into the deploy, reload ${(o.reloadMs ?? 0).toFixed(0)} ms` : "no"} | ${seconds(r.wallMs)} | ${r.check.ok ? "all on the new version" : "NOT all on the new version"} |`,
    );
  }
  lines.push("");
  for (const r of results) {
    lines.push(`run ${r.run} ${RELOAD_VARIANTS[r.way].title}: latency p99 ${r.load.p99LatencyMs.toFixed(0)} ms, max ${[...r.load.maxLatencyByPath].map(([p, ms]) => `${ms.toFixed(0)} ms (GET ${p})`).join(", ")}`);
    lines.push(`  reloaded member, from the reload: ${r.reload.timeline.join("; ") || "-"}`);
    if (r.load.failed > 0) lines.push(`  failures: ${[...r.load.failureKinds].map(([k, n]) => `${k} ${n}`).join(", ")}${failureWindow(r)}`);
    for (const w of r.warnings.slice(0, 3)) lines.push(`  deploy said: ${w.trim()}`);
    for (const p of r.problems) lines.push(`  PROBLEM: ${p}`);
  }
  const problems = results.flatMap((r) => r.problems.map((p) => `run ${r.run} ${RELOAD_VARIANTS[r.way].title}: ${p}`));
  const expected = RELOAD_WAYS.length * settings.runs;
  if (results.length < expected) problems.push(`only ${results.length} of ${expected} ways ran`);
  lines.push("", problems.length === 0 ? "OK: with the state file no request failed and the drain survived; without it the held forms drained again within one poll; the plain pattern's count is reload handling off." : `PROBLEMS:\n${problems.map((p) => `  ${p}`).join("\n")}`);
  return { code: problems.length === 0 ? 0 : 1, lines };
}
