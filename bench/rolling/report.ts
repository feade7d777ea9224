// The benchmark's printed results: one table row per way and run, then per way what the
// load saw (failures by kind, versions), where the servers ended, and the time split.
import { WAY_TITLES, type BenchmarkReport, type WayResult } from "./benchmark";
import { seconds } from "./split";

const count = (n: number): string => n.toLocaleString("en-US");

function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i <= 1 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(" | ")} |`;
  const rule = `|${widths.map((w, i) => (i <= 1 ? "-".repeat(w + 2) : `${"-".repeat(w + 1)}:`)).join("|")}|`;
  return [line(head), rule, ...rows.map(line)].join("\n");
}

/** A split part, or a dash where the way does not split its time so (r: its slots overlap). */
const part = (ms: number): string => (Number.isFinite(ms) ? seconds(ms) : "–");

export function resultsTable(ways: readonly WayResult[]): string {
  const head = ["run", "way", "failed / total", "longest request", "deploy wall", "waiting on HAProxy", "apps' restarts", "haproxy-cluster code", "other", "serving (fewest-most, before)"];
  const rows = ways.map((w) => {
    const s = w.deploy.split;
    const serving = w.serving ? w.serving.members.map((_, i) => `${w.serving!.minDuring[i]}-${w.serving!.maxDuring[i]}, ${w.serving!.before[i]}`).join(" / ") : "–";
    return [
      String(w.run),
      `${WAY_TITLES[w.way]} → ${w.version}`,
      `${count(w.load.failed)} / ${count(w.load.sent)}`,
      `${w.load.maxLatencyMs.toFixed(0)} ms`,
      seconds(s.wallMs),
      part(s.haproxyMs),
      `${part(s.appMs)}${s.appIncludesWarmup ? "" : "*"}`,
      part(s.ownCodeMs),
      part(s.otherMs),
      serving,
    ];
  });
  return table(head, rows);
}

function sortedEntries(map: Map<string, number>): string {
  return [...map].sort((a, b) => a[0].localeCompare(b[0], "en", { numeric: true })).map(([k, n]) => `${k} ${count(n)}`).join(", ");
}

export function wayDetails(w: WayResult): string[] {
  const { load, deploy, check } = w;
  const window = load.deployWindow;
  const lines = [
    `run ${w.run} ${WAY_TITLES[w.way]} → ${w.version}: ${w.problems.length === 0 ? (w.way === "c" ? (load.failed > 0 ? "failed requests, as expected of the baseline" : "NO failed request: the baseline did not show the difference") : "kept the promise") : `PROBLEMS: ${w.problems.join("; ")}`}`,
    `  load: ${count(load.sent)} requests in ${seconds(load.durationMs)} (${count(load.duringDeploy.sent)} during the deploy, ${count(load.duringDeploy.failed)} of them failed); latency p50 ${load.p50LatencyMs.toFixed(1)} ms, p99 ${load.p99LatencyMs.toFixed(1)} ms, max ${[...load.maxLatencyByPath].map(([p, ms]) => `${ms.toFixed(0)} ms (GET ${p})`).join(", ")}${load.skipped ? `; ${count(load.skipped)} not sent (backpressure)` : ""}; this process's event loop held up ${load.loopDelay.maxMs.toFixed(0)} ms at most (p99 ${load.loopDelay.p99Ms.toFixed(0)} ms)`,
    `  versions seen (200s): ${sortedEntries(load.versions)}`,
    `  served by: ${sortedEntries(load.servedBy)}`,
  ];
  if (load.failed > 0) {
    const at = (ms: number) => (window ? `${((ms - window.startMs) / 1000).toFixed(2)} s` : `${(ms / 1000).toFixed(2)} s (load time)`);
    const kept = load.failures;
    lines.push(`  failures: ${sortedEntries(load.failureKinds)}; from ${at(kept[0]!.atMs)} to ${at(kept[kept.length - 1]!.atMs)} after the deploy started${kept.length < load.failed ? ` (the first ${kept.length} kept)` : ""}`);
    // One example of each kind, the first seen.
    for (const kind of load.failureKinds.keys()) {
      const f = kept.find((x) => x.kind === kind);
      if (f) lines.push(`    e.g. at ${at(f.atMs)}, via ${f.frontend}: ${f.kind}: ${f.detail} (${f.latencyMs.toFixed(0)} ms)`);
    }
  }
  if (w.serving) {
    const t = w.serving;
    lines.push(`  servers serving (${t.samplesDuring} reads of both members during the deploy, longest gap ${t.longestGapMs.toFixed(0)} ms, ${t.failedReads} failed reads): ${t.summary}`);
    lines.push(`    changes: ${t.changes.join("; ")}`);
  }
  if (w.replaced) lines.push(`  replaced: ${w.replaced.before.join(", ")} → ${w.replaced.after.join(", ")}`);
  lines.push(`  end state: ${check.ok ? "every server on " + w.version : "NOT every server on " + w.version}: directly ${check.direct.join(", ")}`);
  for (const p of check.problems) lines.push(`    problem: ${p}`);
  for (const n of check.notes) lines.push(`    ${n}`);
  lines.push(`  steps: ${deploy.split.details.join("; ")}`);
  for (const m of deploy.split.method) lines.push(`  split: ${m}`);
  if (deploy.error) lines.push(`  deploy error: ${deploy.error}`, ...(deploy.outputTail ?? "").split("\n").map((l) => `    | ${l}`));
  return lines;
}

export const METHOD = [
  "How the deploy's wall time is split (per way, details above):",
  "  apps' restarts       the apps' own time: graceful stop (SIGTERM until exit) + start until the new process answers, timed around the",
  "                       same app-process.js calls the example's resource makes, + the warm-up (configured, counted in full); * = (c) does",
  "                       not wait the warm-ups out, so only stop + start are in its wall time.",
  "  waiting on HAProxy   time the deploy was blocked on HAProxy beyond the app's own time: drains and their sessions, health checks",
  "                       after the warm-up (rise × inter, fresh checks), the gates' repeated confirmations (min-checks × interval).",
  "                       (a) = CLI steps' time − own code − warm-ups; (b) = gate and drain steps' time − own code − warm-ups.",
  "  haproxy-cluster code the tool's own fixed cost: each command (a) or provider step (b) run against an already-satisfied state",
  "                       (nothing to wait for), median of the calibration rounds, times the number of invocations.",
  "  other                the rest of the wall time: bash and the restart command's Node start (a, c); the Pulumi engine, language",
  "                       host, program, diffs and state writes (b).",
  "  (r) is not split so: its slots are replaced side by side, so step times overlap; its details give each phase's span",
  "                       (new instances, their servers in rotation, old servers removed, old instances stopped).",
  "  serving              (r): servers HAProxy sends new requests to (status UP or UP n/m, weight > 0), read on every member every",
  "                       50 ms: the fewest and most during the deploy, and the count before it, per member (lb3 / lb4).",
];

export function verdict(report: BenchmarkReport): { code: 0 | 1 | 2 | 3; lines: string[] } {
  const broken = report.ways.filter((w) => w.way !== "c" && w.problems.length > 0);
  const silent = report.ways.filter((w) => w.way === "c" && w.load.failed === 0);
  const careful = report.ways.filter((w) => w.way !== "c");
  const lines: string[] = [];
  if (broken.length > 0) {
    for (const w of broken) lines.push(`FAIL: run ${w.run} ${WAY_TITLES[w.way]}: ${w.problems.join("; ")}`);
    return { code: 1, lines };
  }
  if (report.stoppedEarly) {
    lines.push(`STOPPED EARLY: ${report.stoppedEarly}`);
    return { code: 3, lines };
  }
  lines.push(`PASS: ${careful.length} careful deploys ((a), (b) and (r)), ${count(careful.reduce((n, w) => n + w.load.sent, 0))} requests, 0 failed; every server ended on the new version (HAProxy, directly, and through both frontends); (r) never served with fewer servers than before and left no trace of the old ones.`);
  if (silent.length > 0) {
    lines.push(`INCONCLUSIVE: the careless baseline lost no request in run(s) ${silent.map((w) => w.run).join(", ")}: this load could not tell careful from careless.`);
    return { code: 2, lines };
  }
  lines.push(`The careless baseline lost ${report.ways.filter((w) => w.way === "c").map((w) => count(w.load.failed)).join(", ")} requests: the benchmark tells the difference.`);
  return { code: 0, lines };
}
