// Snapshot time of one real HAProxy 2.6 with 10,000 servers (10 backends × 1,000, no
// health checks), over each transport, next to HAProxy's own time to produce the same
// CSV (curl for the stats page, socat for the Runtime API), and the model's throughput
// on the bytes HAProxy sent. Median of 7 runs after a warm-up. The same servers in
// master-worker mode give the master socket's figures: each read there goes through the
// master to the current worker (`@!<pid>`), after `show proc` names it.
// Run: node dist/bench/snapshot.js
//   --compare-build DIR: another checkout's build (DIR/dist/provider/model/member.js, e.g. the
//   commit before a change to the transports); the Runtime API snapshots are then timed
//   for both builds in this one process against the same HAProxy, one sample of each in
//   turn (the order swapped every round), so a loaded machine weighs on both alike.

import { execFileSync } from "node:child_process";
import path from "node:path";
import { parseArgs } from "node:util";
import { Member } from "../provider/model/member";
import { Snapshot } from "../provider/model/snapshot";
import { parseStatsCsv } from "../provider/stats/csv";
import { startHaproxy, type HaproxyInstance } from "../test/support/haproxy";
import { startMasterWorker } from "../test/support/haproxy-master";
import { stopAll } from "../test/support/registry";

const RUNS = 7;
/** Samples of each build per row when two builds are compared: pairs are cheap, noise is not. */
const COMPARE_RUNS = 15;
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

/** What a snapshot row needs of a Member, whichever build it comes from. */
interface SnapshotMember {
  snapshot(options?: { backend?: string; exactAdminState?: boolean }): Promise<unknown>;
  close(): Promise<void>;
}
type MemberFactory = (spec: string) => SnapshotMember;

const thisBuild: MemberFactory = (spec) => new Member(spec, { requestTimeoutSeconds: 60 });

/** The other build's Member; builds before requestTimeoutSeconds took the request deadline as timeoutSeconds. */
function otherBuild(dir: string): MemberFactory {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const other = require(path.resolve(dir, "dist/provider/model/member.js")) as { Member: new (spec: string, options: object) => SnapshotMember };
  return (spec) => new other.Member(spec, { timeoutSeconds: 60 });
}

/** Median times of two pieces of work, one sample of each in turn (order swapped every round) after a warm-up of both. */
async function timePairMs(a: () => Promise<unknown>, b: () => Promise<unknown>): Promise<[number, number]> {
  await a();
  await b();
  const samples: [number[], number[]] = [[], []];
  for (let i = 0; i < COMPARE_RUNS; i++) {
    for (const which of i % 2 === 0 ? [0, 1] : [1, 0]) {
      const start = process.hrtime.bigint();
      await (which === 0 ? a : b)();
      samples[which]!.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
  }
  return [median(samples[0]), median(samples[1])];
}

/** Snapshots of this build and another over the unix and tcp sockets and a master socket, side by side. */
async function compareBuilds(dir: string, backends: Parameters<typeof startHaproxy>[0]["backends"]): Promise<void> {
  const other = otherBuild(dir);
  const rows: Array<[string, number, number]> = [];
  const pair = async (label: string, spec: string, work: (m: SnapshotMember) => Promise<unknown>): Promise<void> => {
    const a = thisBuild(spec);
    const b = other(spec);
    const [mine, theirs] = await timePairMs(() => work(a), () => work(b));
    rows.push([label, mine, theirs]);
    await Promise.all([a.close(), b.close()]);
  };
  const fresh = (make: MemberFactory, spec: string) => async (): Promise<void> => {
    const m = make(spec);
    await m.snapshot({ backend: "be3" });
    await m.close();
  };
  const lb = await startHaproxy({ name: "bench", backends });
  try {
    for (const [kind, spec] of [["unix", `unix:${lb.adminSocket}`], ["tcp", lb.tcpSocket]] as const) {
      await pair(`all + show servers state, ${kind}`, spec, (m) => m.snapshot());
      await pair(`one backend, ${kind}`, spec, (m) => m.snapshot({ backend: "be3" }));
    }
  } finally {
    await lb.stop();
  }
  const mw = await startMasterWorker({ name: "bench-mw", backends });
  try {
    const spec = `unix:${mw.masterSocket}`;
    await pair("all + show servers state, master socket", spec, (m) => m.snapshot());
    await pair("one backend, master socket", spec, (m) => m.snapshot({ backend: "be3" }));
    // A one-shot command: a fresh member each time (nothing kept from an earlier read).
    const [mine, theirs] = await timePairMs(fresh(thisBuild, spec), fresh(other, spec));
    rows.push(["one backend, master socket, fresh member", mine, theirs]);
  } finally {
    await mw.stop();
  }
  const width = Math.max(...rows.map(([l]) => l.length));
  console.log(`# ${BACKENDS * SERVERS_PER_BACKEND} servers; median of ${COMPARE_RUNS} pairs, one sample of each build in turn; load ${loadAverage()}; node ${process.version}`);
  console.log(`${"snapshot".padEnd(width)}  ${"this build".padStart(10)}  ${path.basename(path.resolve(dir)).padStart(10)}  ratio`);
  for (const [label, mine, theirs] of rows) console.log(`${label.padEnd(width)}  ${`${mine.toFixed(1)} ms`.padStart(10)}  ${`${theirs.toFixed(1)} ms`.padStart(10)}  ${(mine / theirs).toFixed(2)}`);
}

function loadAverage(): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require("node:os") as typeof import("node:os")).loadavg().map((l) => l.toFixed(1)).join(" ");
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { "compare-build": { type: "string" } } });
  const backends = Array.from({ length: BACKENDS }, (_, b) => ({
    name: `be${b + 1}`,
    // Nothing listens on port 9: without checks HAProxy never connects, it only lists them.
    servers: Array.from({ length: SERVERS_PER_BACKEND }, (_, s) => ({ name: `srv${s + 1}`, port: 9, check: false })),
  }));
  if (values["compare-build"]) {
    try {
      await compareBuilds(values["compare-build"], backends);
    } finally {
      await stopAll();
    }
    return;
  }
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

    // Master-worker mode after the -sf rig is stopped, so that one HAProxy at a time holds the servers.
    await lb.stop();
    const mw = await startMasterWorker({ name: "bench-mw", backends });
    try {
      const member = new Member(`unix:${mw.masterSocket}`, { requestTimeoutSeconds: 60 });
      add("snapshot, all + show servers state, over the master socket", await timeMs(() => member.snapshot()));
      add("snapshot, one backend, over the master socket", await timeMs(() => member.snapshot({ backend: "be3" })));
      await member.close();
      // A one-shot command: a fresh member, so nothing from an earlier read is kept.
      add("snapshot, one backend, over the master socket, fresh member", await timeMs(async () => {
        const fresh = new Member(`unix:${mw.masterSocket}`, { requestTimeoutSeconds: 60 });
        await fresh.snapshot({ backend: "be3" });
        await fresh.close();
      }));
    } finally {
      await mw.stop();
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
