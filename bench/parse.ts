// Throughput of the statistics CSV parser on a 10,000-server answer (10 backends × 1,000
// servers, the real 2.6.12 row shape, 128 columns), against csv-parse and a bare
// split('\n'). Median of 5 timed runs after a warm-up. Run: node dist/bench/parse.js

import fs from "node:fs";
import path from "node:path";
import { parse as csvParseSync } from "csv-parse/sync";
import { StatsCsvParser, parseStatsCsv } from "../provider/stats/csv";
import { intCell, stringCell } from "../provider/stats/cells";
import { parseServerStatus } from "../provider/stats/status";
import { generateStatsCsv } from "./fixtures/generate";

const RUNS = 5;
const CHUNK = 64 * 1024;

function templatePath(): string {
  const shared = process.env.HC_SHARED_DIR ?? path.resolve(__dirname, "../../../shared");
  return path.join(shared, "fixtures", "haproxy-2.6", "lb1-show-stat.csv");
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** Runs `work` once to warm up, then RUNS times; returns the median milliseconds. */
function time(work: () => unknown): number {
  work();
  const samples: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const start = process.hrtime.bigint();
    work();
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return median(samples);
}

function main(): void {
  const text = generateStatsCsv({ templateCsv: fs.readFileSync(templatePath(), "utf8"), backends: 10, serversPerBackend: 1000 });
  const bytes = Buffer.byteLength(text);
  const chunks: string[] = [];
  for (let at = 0; at < text.length; at += CHUNK) chunks.push(text.slice(at, at + CHUNK));
  const rows = parseStatsCsv(text, "bench").rows.length;

  const cases: [string, () => unknown][] = [
    ["text.split('\\n') (baseline)", () => text.split("\n")],
    ["parseStatsCsv (whole text)", () => parseStatsCsv(text, "bench")],
    [`StatsCsvParser (${CHUNK / 1024} KiB chunks)`, () => {
      const parser = new StatsCsvParser("bench");
      for (const chunk of chunks) parser.write(chunk);
      return parser.end();
    }],
    ["parse + status/scur of every row", () => {
      const table = parseStatsCsv(text, "bench");
      const [status, scur, sv] = ["status", "scur", "svname"].map((name) => table.index.get(name));
      let serving = 0;
      for (const row of table.rows) {
        if (stringCell(row, sv) === "BACKEND") continue;
        if (parseServerStatus(row[status ?? 0]).health === "up") serving += intCell(row, scur) ?? 0;
      }
      return serving;
    }],
    ["csv-parse/sync (comparison)", () => csvParseSync(text, { relax_column_count: true, skip_empty_lines: true })],
  ];

  console.log(`input: ${rows} rows, ${(bytes / 1e6).toFixed(2)} MB, ${parseStatsCsv(text, "bench").columns.length} columns; median of ${RUNS} runs after a warm-up (MB = 10^6 bytes)`);
  console.log(`${"case".padEnd(40)} ${"ms".padStart(8)} ${"MB/s".padStart(8)}`);
  for (const [name, work] of cases) {
    const ms = time(work);
    console.log(`${name.padEnd(40)} ${ms.toFixed(1).padStart(8)} ${(bytes / 1e6 / (ms / 1000)).toFixed(1).padStart(8)}`);
  }
}

main();
