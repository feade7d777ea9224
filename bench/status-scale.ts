// Does `status` stay linear in the number of servers? Times the whole CLI (`status` of a
// saved CSV, so HAProxy's own time is out of the picture) on one backend of 10,000 and of
// 100,000 servers, median of 3, and prints the ratio: about 10 means linear.
//   node dist/bench/status-scale.js
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { generateStatsCsv } from "./fixtures/generate";

const CLI = path.resolve(__dirname, "../provider/cli/main.js");
const RUNS = 3;

function templatePath(): string {
  const shared = process.env.HC_SHARED_DIR ?? path.resolve(__dirname, "../../../shared");
  return path.join(shared, "fixtures", "haproxy-2.6", "lb1-show-stat.csv");
}

/** Median wall time of `haproxy-cluster status file:CSV` over RUNS runs, in ms. */
export function timeStatus(csvFile: string, runs = RUNS): number {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = process.hrtime.bigint();
    const r = spawnSync(process.execPath, [CLI, "status", `file:${csvFile}`], { encoding: "utf8", maxBuffer: 1 << 30, env: { ...process.env, NO_COLOR: "1" } });
    if (r.status !== 0) throw new Error(`status exited ${r.status}: ${r.stderr}`);
    samples.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  return samples.sort((a, b) => a - b)[samples.length >> 1]!;
}

/** Writes a one-backend CSV of `servers` servers to a temporary file. */
export function writeServersCsv(dir: string, servers: number): string {
  const file = path.join(dir, `status-${servers}.csv`);
  fs.writeFileSync(file, generateStatsCsv({ templateCsv: fs.readFileSync(templatePath(), "utf8"), backends: 1, serversPerBackend: servers }));
  return file;
}

function main(): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hc-status-scale-"));
  try {
    const small = timeStatus(writeServersCsv(dir, 10_000));
    const large = timeStatus(writeServersCsv(dir, 100_000));
    console.log("| servers in one backend | `status` (whole CLI, median of 3) |");
    console.log("|--:|--:|");
    console.log(`| 10,000 | ${(small / 1000).toFixed(2)} s |`);
    console.log(`| 100,000 | ${(large / 1000).toFixed(2)} s |`);
    console.log(`\nratio 100,000 / 10,000: ${(large / small).toFixed(1)} (10 is linear)`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) main();
