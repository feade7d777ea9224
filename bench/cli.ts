// Whole-process timings of the CLI, hyperfine-style but in Node: each command runs a few
// times to warm the file cache, then RUNS times with spawnSync; the table gives the
// median, min and max, next to `node -e 0` (the floor any Node CLI pays).
// Members are real HAProxy 2.6 processes from the test rig: a cluster of 2 and one of 20
// (20 separate HAProxy instances, 3 app servers behind each), reached over their unix
// admin sockets and over their stats pages (HTTP, with the generated password).
// Then the round trips per member of drain, maint and a ServerDrain create, counted by a
// unix-socket proxy in front of each member (one Runtime API command per connection).
//   node dist/bench/cli.js [--runs N] [--round-trips-only | --start-up-only] [--compare-cli PATH]
// --compare-cli: another build's dist/provider/cli/main.js (e.g. a checkout of the commit
// before a start-up change); each check row is then also timed with it, in the same run.
import { spawn, spawnSync } from "node:child_process";
import path from "node:path";
import { setImmediate as yieldToLoop } from "node:timers/promises";
import { parseArgs } from "node:util";
import { countingProxy } from "../test/support/counting-proxy";
import { startCluster, type Cluster } from "../test/support/haproxy";
import { stopAll } from "../test/support/registry";

const CLI = path.resolve(__dirname, "../provider/cli/main.js");
const { values } = parseArgs({
  options: { runs: { type: "string", default: "15" }, warmup: { type: "string", default: "3" }, "round-trips-only": { type: "boolean", default: false }, "start-up-only": { type: "boolean", default: false }, "compare-cli": { type: "string" } },
});
const RUNS = Math.max(10, Number(values.runs));
const WARMUP = Number(values.warmup);

interface Row {
  name: string;
  runs: number;
  medianMs: number;
  minMs: number;
  maxMs: number;
}

function once(args: string[], expectCode = 0): number {
  const started = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (r.status !== expectCode) throw new Error(`${args.slice(1, 3).join(" ")} exited ${r.status} (expected ${expectCode}):\n${r.stdout}\n${r.stderr}`);
  return ms;
}

function stats(name: string, samples: number[]): Row {
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const medianMs = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { name, runs: samples.length, medianMs, minMs: sorted[0]!, maxMs: sorted[sorted.length - 1]! };
}

/** Times `args` WARMUP + RUNS times; yields between runs so the rig's pipes keep draining. */
async function bench(name: string, args: string[]): Promise<Row> {
  for (let i = 0; i < WARMUP; i++) once(args);
  const samples: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    samples.push(once(args));
    await yieldToLoop();
  }
  return stats(name, samples);
}

/** drain --wait then ready --wait on the same server, timed separately, RUNS pairs. */
async function drainReady(label: string, members: string[]): Promise<Row[]> {
  const target = ["--backend", "myapp", "--server", "server1", "--wait", "--quiet"];
  const drain: number[] = [];
  const ready: number[] = [];
  const pair: number[] = [];
  for (let i = 0; i < WARMUP + RUNS; i++) {
    const d = once([CLI, "drain", ...target, ...members]);
    const r = once([CLI, "ready", ...target, "--timeout", "30", ...members]);
    if (i >= WARMUP) drain.push(d), ready.push(r), pair.push(d + r);
    await yieldToLoop();
  }
  return [stats(`drain --wait, ${label}`, drain), stats(`ready --wait, ${label}`, ready), stats(`drain --wait + ready --wait, ${label}`, pair)];
}

/** Runs the CLI without blocking this process's event loop (the counting proxies live in it). */
function run(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, NO_COLOR: "1" } });
    let stderr = "";
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    child.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`${args.slice(1, 3).join(" ")} exited ${code}:\n${stderr}`))));
  });
}

interface RoundTrips {
  name: string;
  /** Connections to each member (the Runtime API answers one command per connection). */
  connections: number;
  /** Of those, the ones made one after the other (reads sent together count once). */
  roundTrips: number;
}

/** Round trips per member of the CLI's drain and maint (with --wait) and of a ServerDrain create, on 2 members. */
async function roundTrips(cluster: Cluster): Promise<RoundTrips[]> {
  const proxies = await Promise.all(cluster.lbs.map((lb) => countingProxy(lb.adminSocket)));
  const members = proxies.map((p) => p.spec);
  const out: RoundTrips[] = [];
  const measure = async (name: string, act: () => Promise<unknown>, undo: string[]) => {
    for (const p of proxies) p.reset();
    await act();
    const counts = proxies.map((p) => p.connections());
    if (new Set(counts).size !== 1) throw new Error(`${name}: members saw different numbers of connections: ${counts.join(", ")}`);
    out.push({ name, connections: counts[0]!, roundTrips: Math.max(...proxies.map((p) => p.roundTrips())) });
    await run([CLI, ...undo, "--backend", "myapp", "--server", "server1", "--wait", "--timeout", "30", "--quiet", ...members]);
  };
  try {
    const target = ["--backend", "myapp", "--server", "server1", "--quiet"];
    await measure("drain (CLI)", () => run([CLI, "drain", ...target, ...members]), ["ready"]);
    await measure("drain --wait (CLI)", () => run([CLI, "drain", ...target, "--wait", ...members]), ["ready"]);
    await measure("maint --wait (CLI)", () => run([CLI, "maint", ...target, "--wait", ...members]), ["ready"]);
    await measure("drain --host server1 (CLI)", () => run([CLI, "drain", "--host", "server1", "--quiet", ...members]), ["ready"]);
    // The provider's create, in this process, exactly as the Pulumi engine calls it.
    const { serverDrain } = await import("../provider/pulumi/impl");
    await measure("ServerDrain create", () => serverDrain.create({ members, backend: "myapp", server: "server1" }), ["ready"]);
  } finally {
    await Promise.all(proxies.map((p) => p.close()));
  }
  return out;
}

function table(rows: Row[], baselineMs: number): string {
  const head = ["command", "runs", "median", "min", "max", "median − node -e 0", "× node -e 0"];
  const body = rows.map((r) => [
    r.name,
    String(r.runs),
    `${r.medianMs.toFixed(0)} ms`,
    `${r.minMs.toFixed(0)} ms`,
    `${r.maxMs.toFixed(0)} ms`,
    `${(r.medianMs - baselineMs).toFixed(0)} ms`,
    `${(r.medianMs / baselineMs).toFixed(1)}`,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(" | ")} |`;
  return [line(head), `|${widths.map((w, i) => (i === 0 ? "-".repeat(w + 2) : `${"-".repeat(w + 1)}:`)).join("|")}|`, ...body.map(line)].join("\n");
}

function roundTripTable(rows: RoundTrips[]): string {
  return [
    "Per member, 2 members over the Runtime API (a connection per read or write; a read chains its commands)",
    "",
    "| action | connections | round trips |",
    "|---|---:|---:|",
    ...rows.map((r) => `| ${r.name} | ${r.connections} | ${r.roundTrips} |`),
  ].join("\n");
}

async function main(): Promise<void> {
  const clusters: Cluster[] = [];
  try {
    if (values["round-trips-only"]) {
      const small = await startCluster({ members: 2, servers: 3 });
      clusters.push(small);
      process.stdout.write(`${roundTripTable(await roundTrips(small))}\n`);
      return;
    }
    process.stderr.write("starting 2 + 20 HAProxy instances…\n");
    const [small, large] = await Promise.all([startCluster({ members: 2, servers: 3 }), startCluster({ members: 20, servers: 3, upTimeoutMs: 60_000 })]);
    clusters.push(small!, large!);
    const unix = (c: Cluster) => c.lbs.map((lb) => `unix:${lb.adminSocket}`);
    const http = (c: Cluster) => c.lbs.map((lb) => lb.statsUrl.replace("http://", `http://${lb.statsAuth!.user}:${lb.statsAuth!.password}@`));
    const check = ["check", "--backend", "myapp"];

    const rows: Row[] = [];
    const step = async (p: Promise<Row | Row[]>) => {
      const r = await p;
      rows.push(...(Array.isArray(r) ? r : [r]));
      process.stderr.write(`  done: ${(Array.isArray(r) ? r : [r]).map((x) => x.name).join(", ")}\n`);
    };
    await step(bench("node -e 0", ["-e", "0"]));
    await step(bench("haproxy-cluster --version", [CLI, "--version"]));
    const other = values["compare-cli"] ? path.resolve(values["compare-cli"]) : undefined;
    for (const [label, members] of [["2 members (unix socket)", unix(small!)], ["2 members (stats page)", http(small!)], ["20 members (unix socket)", unix(large!)], ["20 members (stats page)", http(large!)]] as const) {
      await step(bench(`check, ${label}`, [CLI, ...check, ...members]));
      if (other) await step(bench(`check, ${label}, ${values["compare-cli"]}`, [other, ...check, ...members]));
    }
    if (!values["start-up-only"]) {
      await step(bench("status, 20 members (unix socket)", [CLI, "status", ...unix(large!)]));
      await step(drainReady("20 members (unix socket)", unix(large!)));
      await step(drainReady("20 members (stats page)", http(large!)));
    }

    const baseline = rows[0]!.medianMs;
    process.stdout.write(`\nhaproxy-cluster CLI, whole process, ${RUNS} runs after ${WARMUP} warm-up (Node ${process.version}, HAProxy 2.6; health checks inter 500 ms, rise 2)\n\n`);
    process.stdout.write(`${table(rows, baseline)}\n`);
    if (!values["start-up-only"]) process.stdout.write(`\n${roundTripTable(await roundTrips(small!))}\n`);
  } finally {
    await Promise.allSettled(clusters.map((c) => c.stop()));
    await stopAll();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
