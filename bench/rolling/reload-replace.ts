// `--reload-during replace`: one member reloaded gracefully (-sf, as the rigs in test/support
// do) in the middle of way (r), a replace deploy of examples/replace-deploy under load, at
// two moments:
//   waiting  every new server is on the reloaded member and not serving yet: each
//            BackendServer create is waiting for its fresh checks, so the hold that watches
//            for reloads (provider/cluster/hold.ts) should add it again there;
//   between  every new server serves on the reloaded member and the old ones are still
//            there: nothing of ours waits then, and the reload forgets old and new alike.
// Recorded: failed requests (by phase), the serving count on each member over time, the
// server names on the reloaded member over time, what `pulumi up` said, then what `pulumi
// refresh` and the next `pulumi up` change, all under the same load. A measurement, not a
// pass/fail test: its exit code says only whether the scenario ran.
import { setTimeout as delay } from "node:timers/promises";
import type { HaproxyInstance } from "../../test/support/haproxy";
import { underLoad } from "./load";
import type { WaySettings } from "./settings";
import { BACKEND, RELOAD_DEFAULTS } from "./haproxy";
import type { LoadResult } from "./load";
import { deployByReplacing, openReplaceRig, SEED_SERVER, type ReplaceRig } from "./replace-way";
import { ServingSampler, servingNow, type ServingTrace } from "./serving";
import { seconds } from "./split";

export type ReplaceReloadMoment = "waiting" | "between";
export const REPLACE_RELOAD_MOMENTS: readonly ReplaceReloadMoment[] = ["waiting", "between"];

const MOMENT_TITLES: Record<ReplaceReloadMoment, string> = {
  waiting: "(1) reload while the new servers wait for fresh checks",
  between: "(2) reload after the new servers serve, before the old ones are removed",
};

/** What a `pulumi refresh` or `pulumi up` did: its result, its resource changes, its lines about reloads or errors. */
export interface EngineStep {
  result: string;
  changes: Record<string, number>;
  wallMs: number;
  said: string[];
}

export interface ReplaceReloadResult {
  moment: ReplaceReloadMoment;
  version: string;
  load: LoadResult;
  /** The reload's start and end, ms from the deploy's start; undefined when the moment never came. */
  reloadAtMs?: number;
  reloadMs?: number;
  /** Server names on the reloaded member (sorted, the seed left out), each change: `+1.23 s a,b`. */
  namesOnReloaded: string[];
  /** After the reload, on the reloaded member: serving none of ours for this long, and serving all `instances` again at (ms from the deploy's start). */
  noneServingMs: number;
  servingAgainAtMs?: number;
  serving: ServingTrace;
  deploy: EngineStep;
  refresh: EngineStep;
  nextUp: EngineStep;
  /** Per member, after the deploy / after refresh + up: `name STATUS` of the stack's servers. */
  afterDeploy: Record<string, string[]>;
  afterNextUp: Record<string, string[]>;
  /** Failed requests by phase (deploy before the reload, after it, refresh, next up, tail), and through the reloaded member. */
  failedByPhase: Record<string, number>;
  failedThroughReloaded: number;
  servers: { before: string[]; after: string[] };
}

/** The rig (lb3, lb4 with `option idle-close-on-response`, so a reload itself costs no socket errors), then each moment in turn. */
export async function runReplaceReloads(settings: WaySettings, member: "lb3" | "lb4"): Promise<ReplaceReloadResult[]> {
  const rig = await openReplaceRig({ warmupMs: settings.warmupMs, firstVersion: "v0", log: settings.log, extraDefaults: RELOAD_DEFAULTS });
  const results: ReplaceReloadResult[] = [];
  try {
    let n = 0;
    for (let run = 1; run <= settings.runs; run++) {
      for (const moment of REPLACE_RELOAD_MOMENTS) {
        const version = `v${++n}`;
        settings.log(`${MOMENT_TITLES[moment]}: ${member} reloaded, replace deploy → ${version} under load, then pulumi refresh and pulumi up`);
        const result = await runMoment(settings, rig, member, moment, version);
        results.push(result);
        settings.log(`${MOMENT_TITLES[moment]}: ${result.load.failed} of ${result.load.sent} failed; up ${result.deploy.result}, refresh ${JSON.stringify(result.refresh.changes)}, next up ${result.nextUp.result} ${JSON.stringify(result.nextUp.changes)}`);
      }
    }
  } finally {
    await rig.stop().catch(() => undefined);
  }
  return results;
}

async function runMoment(settings: WaySettings, rig: ReplaceRig, member: "lb3" | "lb4", moment: ReplaceReloadMoment, version: string): Promise<ReplaceReloadResult> {
  const reloaded = rig.lbs.find((lb) => lb.name === member)!;
  const before = Object.values(await rig.servers());
  const oldNames = before.map((s) => s.server);
  const sampler = new ServingSampler(rig.lbs, BACKEND);
  const watch = new NamesWatch(reloaded, oldNames, rig.instances, moment);
  const phases: Array<[string, number]> = [];
  let deploy: EngineStep | undefined;
  let refresh: EngineStep | undefined;
  let nextUp: EngineStep | undefined;
  let afterDeploy: Record<string, string[]> = {};
  let serving: ServingTrace;
  let load: LoadResult;
  try {
    ({ load } = await underLoad(settings, rig.lbs, async () => {
      await sampler.markDeployStart();
      const start = performance.now();
      watch.start(start);
      const mark = (name: string) => phases.push([name, performance.now() - start]);
      const started = performance.now();
      const outcome = await deployByReplacing(rig.stack, version);
      const lines = outcome.outputTail?.split("\n") ?? [];
      deploy = { result: outcome.error ? "failed" : "succeeded", changes: {}, wallMs: performance.now() - started, said: [...(outcome.error ? [outcome.error.slice(0, 200)] : []), ...lines.filter((l) => /reload|error|HC_/i.test(l)).slice(0, 12), ...(outcome.diagnostics ?? []).slice(0, 3)] };
      mark("refresh");
      afterDeploy = await stackServersOn(rig.lbs, oldNames);
      refresh = await engine((onOutput) => rig.stack.stack.refresh({ color: "never", onOutput }));
      mark("next up");
      nextUp = await engine((onOutput) => rig.stack.stack.up({ color: "never", onOutput }));
      mark("tail");
      sampler.markDeployEnd();
      return { split: { wallMs: performance.now() - started, appMs: NaN, appIncludesWarmup: true, haproxyMs: NaN, ownCodeMs: NaN, otherMs: NaN, method: [], details: [] } };
    }));
  } finally {
    await watch.stop();
    serving = await sampler.stop();
  }
  const after = Object.values(await rig.servers());
  const afterNextUp = await stackServersOn(rig.lbs, oldNames);
  const startMs = load.deployWindow?.startMs ?? 0;
  const failedByPhase: Record<string, number> = {};
  for (const f of load.failureTimes) {
    const at = f.atMs - startMs;
    let phase = at < 0 ? "lead-in" : watch.reloadAtMs === undefined || at < watch.reloadAtMs ? "deploy, before the reload" : "deploy, after the reload";
    for (const [name, from] of phases) if (at >= from) phase = name;
    failedByPhase[phase] = (failedByPhase[phase] ?? 0) + 1;
  }
  return {
    moment,
    version,
    load,
    ...(watch.reloadAtMs !== undefined ? { reloadAtMs: watch.reloadAtMs, reloadMs: watch.reloadMs } : {}),
    namesOnReloaded: watch.changes,
    noneServingMs: watch.noneServingMs,
    ...(watch.servingAgainAtMs !== undefined ? { servingAgainAtMs: watch.servingAgainAtMs } : {}),
    serving,
    deploy: deploy ?? { result: "did not run", changes: {}, wallMs: 0, said: [] },
    refresh: refresh ?? { result: "did not run", changes: {}, wallMs: 0, said: [] },
    nextUp: nextUp ?? { result: "did not run", changes: {}, wallMs: 0, said: [] },
    afterDeploy,
    afterNextUp,
    failedByPhase,
    failedThroughReloaded: load.failureTimes.filter((f) => f.frontend.startsWith(reloaded.frontendUrl)).length,
    servers: { before: before.map((s) => `${s.server}@${s.address}`), after: after.map((s) => `${s.server}@${s.address}`) },
  };
}

/** One engine run (`refresh`, `up`): its result, resource changes, and its lines about changes, reloads and errors. */
async function engine(run: (onOutput: (text: string) => void) => Promise<{ summary: { result: string; resourceChanges?: Record<string, number> } }>): Promise<EngineStep> {
  let output = "";
  const onOutput = (text: string) => void (output = (output + text).slice(-16 * 1024));
  const started = performance.now();
  try {
    const r = await run(onOutput);
    return { result: r.summary.result, changes: r.summary.resourceChanges ?? {}, wallMs: performance.now() - started, said: output.split("\n").filter((l) => /reload|error|HC_|~ |\+ |- /i.test(l)).slice(0, 12) };
  } catch (error) {
    return { result: `failed: ${(error as Error).message.split("\n").slice(0, 3).join(" ")}`, changes: {}, wallMs: performance.now() - started, said: output.split("\n").filter((l) => /error|HC_/i.test(l)).slice(0, 8) };
  }
}

/** Per member, the backend's servers other than the seed, `name STATUS` (the old ones marked). */
async function stackServersOn(lbs: readonly HaproxyInstance[], oldNames: readonly string[]): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const lb of lbs) {
    const rows = (await lb.showStat()).filter((r) => r.pxname === BACKEND && r.svname !== "BACKEND" && r.svname !== "FRONTEND" && r.svname !== SEED_SERVER);
    out[lb.name] = rows.map((r) => `${r.svname}${oldNames.includes(r.svname) ? " (old)" : ""} ${r.status}${servingNow(r) ? "" : " (not serving)"}`);
  }
  return out;
}

/** Reads the reloaded member every 50 ms: records its server names, and reloads it once at the moment asked. */
class NamesWatch {
  changes: string[] = [];
  reloadAtMs: number | undefined;
  reloadMs: number | undefined;
  /** After the reload: how long the member served no server of ours, and when it served `instances` again, ms from the deploy's start. */
  noneServingMs = 0;
  servingAgainAtMs: number | undefined;
  private noneSince: number | undefined;
  private running = false;
  private loop: Promise<void> = Promise.resolve();

  constructor(private readonly lb: HaproxyInstance, private readonly oldNames: readonly string[], private readonly instances: number, private readonly moment: ReplaceReloadMoment) {}

  start(origin: number): void {
    this.running = true;
    this.loop = this.run(origin);
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    if (this.noneSince !== undefined) this.noneServingMs += performance.now() - this.noneSince;
  }


  private async run(origin: number): Promise<void> {
    let last = "";
    while (this.running) {
      try {
        const rows = (await this.lb.showStat()).filter((r) => r.pxname === BACKEND && r.svname !== "BACKEND" && r.svname !== "FRONTEND" && r.svname !== SEED_SERVER);
        const now = performance.now() - origin;
        const text = rows.map((r) => `${r.svname}${this.oldNames.includes(r.svname) ? "(old)" : ""}:${servingNow(r) ? "serving" : r.status}`).sort().join(",");
        if (text !== last && this.changes.length < 200) this.changes.push(`+${seconds(now)} ${text || "(none)"}`);
        last = text;
        const servingCount = rows.filter(servingNow).length;
        if (this.reloadAtMs !== undefined && this.reloadMs !== undefined) {
          if (servingCount === 0 && this.noneSince === undefined) this.noneSince = now;
          if (servingCount > 0 && this.noneSince !== undefined) {
            this.noneServingMs += now - this.noneSince;
            this.noneSince = undefined;
          }
          if (servingCount >= this.instances && this.servingAgainAtMs === undefined) this.servingAgainAtMs = now;
        }
        const fresh = rows.filter((r) => !this.oldNames.includes(r.svname));
        const old = rows.filter((r) => this.oldNames.includes(r.svname));
        const due =
          this.moment === "waiting"
            ? fresh.length === this.instances && fresh.every((r) => !servingNow(r))
            : fresh.length === this.instances && fresh.every(servingNow) && old.length === this.oldNames.length;
        if (this.reloadAtMs === undefined && due) {
          this.reloadAtMs = now;
          const t = performance.now();
          await this.lb.reload();
          this.reloadMs = performance.now() - t;
          this.changes.push(`+${seconds(performance.now() - origin)} reloaded (-sf), ${this.reloadMs.toFixed(0)} ms`);
        }
      } catch {
        // A read during the reload: the next one tells.
      }
      await delay(50);
    }
  }
}

/** The printed results. */
export function replaceReloadReport(results: readonly ReplaceReloadResult[], member: string, settings: WaySettings): string[] {
  const lines = [
    `Reload during a replace deploy: ${member} reloaded (-sf, option idle-close-on-response, no state file) during pulumi up of examples/replace-deploy (3 instances, lb3 + lb4, ${settings.ratePerSecond} req/s, warm-up ${settings.warmupMs} ms); then pulumi refresh and pulumi up, the load running throughout.`,
    "",
    "| moment | failed / total | failed by phase | reload at | none serving on the reloaded member / all serving again at | deploy (up) | refresh changes | next up | serving lb3 / lb4 (before) |",
    "|---|--:|---|--:|---|---|---|---|---|",
  ];
  for (const r of results) {
    const phases = Object.entries(r.failedByPhase).map(([k, v]) => `${k} ${v}`).join(", ") || "-";
    const serving = r.serving.members.map((m, i) => `${r.serving.minDuring[i]}-${r.serving.maxDuring[i]}`).join(" / ");
    lines.push(
      `| ${MOMENT_TITLES[r.moment]} → ${r.version} | ${r.load.failed} / ${r.load.sent} | ${phases} | ${r.reloadAtMs === undefined ? "never" : seconds(r.reloadAtMs)} | ${seconds(r.noneServingMs)} / ${r.servingAgainAtMs === undefined ? "never" : seconds(r.servingAgainAtMs)} | ${r.deploy.result}, ${seconds(r.deploy.wallMs)} | ${JSON.stringify(r.refresh.changes)} | ${r.nextUp.result} ${JSON.stringify(r.nextUp.changes)} | ${serving} (${r.serving.before.join(" / ")}) |`,
    );
  }
  lines.push("");
  for (const r of results) {
    lines.push(`${MOMENT_TITLES[r.moment]} → ${r.version}:`);
    lines.push(`  servers ${r.servers.before.join(" ")} → ${r.servers.after.join(" ")}`);
    lines.push(`  failures through ${member}: ${r.failedThroughReloaded}; kinds: ${[...r.load.failureKinds].map(([k, v]) => `${k} ${v}`).join(", ") || "-"}`);
    lines.push(`  serving over time (from the deploy's start): ${r.serving.changes.join("; ")}`);
    lines.push(`  servers on ${member}: ${r.namesOnReloaded.join("; ")}`);
    for (const [name, step] of [["up", r.deploy], ["refresh", r.refresh], ["next up", r.nextUp]] as const) for (const l of step.said) lines.push(`  ${name} said: ${l.trim().slice(0, 400)}`);
    lines.push(`  after the deploy: ${Object.entries(r.afterDeploy).map(([m, s]) => `${m}: ${s.join(", ") || "none"}`).join("; ")}`);
    lines.push(`  after refresh + up: ${Object.entries(r.afterNextUp).map(([m, s]) => `${m}: ${s.join(", ") || "none"}`).join("; ")}`);
  }
  return lines;
}
