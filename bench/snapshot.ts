// Snapshot time of one real HAProxy 2.6 with 10,000 servers (10 backends × 1,000, no
// health checks), over each transport, next to HAProxy's own time to produce the same
// CSV (curl for the stats page, socat for the Runtime API), and the model's throughput
// on the bytes HAProxy sent. Median of 7 runs after a warm-up.
// Run: node dist/bench/snapshot.js

import { execFileSync } from "node:child_process";
import { Member } from "../provider/model/member";
import { Snapshot } from "../provider/model/snapshot";
import { parseStatsCsv } from "../provider/stats/csv";
import { startHaproxy, type HaproxyInstance } from "../test/support/haproxy";
import { stopAll } from "../test/support/registry";

const RUNS = 7;
const BACKENDS = 10;
const SERVERS_PER_BACKEND = 1000;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function timeMs(work: () => Promise<unknown> | unknown): Promise<number> {
  await work();
  const samples: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = process.hrtime.bigint();
    await work();
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return median(samples);
}

function curl(lb: HaproxyInstance, suffix: string): string {
  const auth = lb.statsAuth!;
  return execFileSync("curl", ["-sf", "-u", `${auth.user}:${auth.password}`, `${lb.statsUrl};csv;norefresh${suffix}`], { maxBuffer: 256 << 20, encoding: "utf8" });
}

function socat(lb: HaproxyInstance, command: string): string {
  return execFileSync("socat", ["-t", "30", "stdio", `unix-connect:${lb.adminSocket}`], { input: `${command}\n`, maxBuffer: 256 << 20, encoding: "utf8" });
}

async function main(): Promise<void> {
  const backends = Array.from({ length: BACKENDS }, (_, b) => ({
    name: `be${b + 1}`,
    // Nothing listens on port 9: without checks HAProxy never connects, it only lists them.
    servers: Array.from({ length: SERVERS_PER_BACKEND }, (_, s) => ({ name: `srv${s + 1}`, port: 9, check: false })),
  }));
  const lb = await startHaproxy({ name: "bench", backends });
  try {
    const full = socat(lb, "show stat");
    const mb = Buffer.byteLength(full) / 1e6;
    const scopedText = socat(lb, "show stat be3 6 -1");
    const specs = {
      http: lb.statsUrl.replace("http://", `http://${lb.statsAuth!.user}:${encodeURIComponent(lb.statsAuth!.password)}@`),
      unix: `unix:${lb.adminSocket}`,
      tcp: lb.tcpSocket,
    };
    const rows: Array<[string, string]> = [];
    const add = (label: string, ms: number, bytes?: number) => rows.push([label, `${ms.toFixed(1)} ms${bytes ? `  (${(bytes / 1e6 / (ms / 1000)).toFixed(0)} MB/s)` : ""}`]);

    add("HAProxy produces all (curl ;csv)", await timeMs(() => curl(lb, "")), Buffer.byteLength(curl(lb, "")));
    add("HAProxy produces all (socat show stat)", await timeMs(() => socat(lb, "show stat")), Buffer.byteLength(full));
    add("parse only (in memory)", await timeMs(() => parseStatsCsv(full, "bench")), Buffer.byteLength(full));
    add("parse + model (in memory)", await timeMs(() => Snapshot.fromTable("bench", parseStatsCsv(full, "bench"))), Buffer.byteLength(full));
    for (const [kind, spec] of Object.entries(specs)) {
      const member = new Member(spec, { requestTimeoutSeconds: 60 });
      add(`snapshot, all, over ${kind}`, await timeMs(() => member.snapshot({ exactAdminState: false })));
      if (kind !== "http") add(`snapshot, all + show servers state, over ${kind}`, await timeMs(() => member.snapshot()));
      await member.close();
    }
    add("HAProxy produces one backend (socat show stat be3 6 -1)", await timeMs(() => socat(lb, "show stat be3 6 -1")), Buffer.byteLength(scopedText));
    add("HAProxy produces one backend (curl ;scope=be3)", await timeMs(() => curl(lb, ";scope=be3")));
    for (const [kind, spec] of Object.entries(specs)) {
      const member = new Member(spec, { requestTimeoutSeconds: 60 });
      add(`snapshot, one backend, over ${kind}`, await timeMs(() => member.snapshot({ backend: "be3" })));
      await member.close();
    }

    const width = Math.max(...rows.map(([l]) => l.length));
    console.log(`# ${BACKENDS * SERVERS_PER_BACKEND} servers, ${mb.toFixed(2)} MB of CSV; median of ${RUNS} after a warm-up; HAProxy ${execFileSync("haproxy", ["-v"], { encoding: "utf8" }).split("\n")[0]!.split(" ")[2]}; node ${process.version}`);
    for (const [label, value] of rows) console.log(`${label.padEnd(width)}  ${value}`);
  } finally {
    await lb.stop();
    await stopAll();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
