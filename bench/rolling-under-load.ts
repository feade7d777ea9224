// The project's main promise, measured: ZERO failed requests during a rolling deploy under
// load. Two HAProxy 2.6 and three apps (examples/rolling-deploy/app.js) on 127.0.0.1; constant
// keep-alive load through both frontends; the same rolling deploy of a new version three
// ways, one after another: (a) the README's CLI deploy script, (b) `pulumi up` of
// examples/rolling-deploy, (c) careless restarts without the tool. (a) and (b) must lose
// nothing and end with every server on the new version; (c) shows what they prevent.
// Beside them, (r): a replace deploy, `pulumi up` of examples/replace-deploy on two more
// HAProxy (lb3, lb4), new instances on new ports in before the old ones leave; it must lose
// nothing, never serve with fewer servers than before on any member, and leave no trace
// of the old servers (bench/rolling/replace-way.ts).
//
//   node dist/bench/rolling-under-load.js [--runs N] [--rate R] [--connections C]
//        [--requests N] [--warmup-ms MS] [--timeout-ms MS] [--slow-every N] [--slow-ms MS] [-v]
//        [--bad-version [--fail-percent 20] [--bake-seconds 10]] [--reload-mid-deploy [--reload-member lb2]]
// --bad-version runs the bad-version scenario instead (bench/rolling/bad-version.ts): a
// release that passes /check but fails --fail-percent of real requests, deployed without
// and with the error-rate analysis, and good deploys with and without it.
// --reload-during replace runs bench/rolling/reload-replace.ts instead: lb3 (or
// --reload-member lb4) reloaded in the middle of way (r), while the new servers wait for
// fresh checks and again after they serve, before the old ones go; then pulumi refresh
// and pulumi up. A measurement: exit 0 once it ran.
// --reload-mid-deploy runs way (d) instead (bench/rolling/reload-mid-deploy.ts): a member
// (--reload-member, default lb2) reloaded while the first server is out for its restart, in
// the CLI's held restart, the plain drain/restart/ready pattern and `pulumi up`, with and
// without the README's state-file configuration.
// Defaults: 1 run, 400 req/s, 4 connections per frontend, ≥ 10,000 requests per way,
// warm-up 1500 ms, timeout 2000 ms, 1 request in 20 is /slow?ms=250.
//
// Exit status: 0 (a), (b) and (r) lost nothing and (c) lost requests; 1 (a), (b) or (r) lost a
// request, a server did not end on the new version, (r) served with fewer servers or left
// an old one behind, or a deploy failed; 2 (c) lost nothing
// either (the load could not tell the difference); 3 the benchmark itself could not run.
// With --reload-mid-deploy: 0 every variant kept its promise (state file: 0 failed requests and
// the drain kept; held forms without it: the drain applied again within a poll and a read);
// 1 one did not, or a deploy failed; 3 the benchmark could not run.
// Everything it starts is stopped (the rig's registry, pid files), also on failure and Ctrl-C.
import { parseArgs } from "node:util";
import { stopAll } from "../test/support/registry";
import { runRollingBenchmark, type BenchmarkSettings } from "./rolling/benchmark";
import { METHOD, resultsTable, verdict, wayDetails } from "./rolling/report";
import { badVersionReport } from "./rolling/bad-version";
import { reloadReport } from "./rolling/reload-mid-deploy";
import { replaceReloadReport, runReplaceReloads } from "./rolling/reload-replace";

function positive(name: string, text: string | undefined): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a number > 0, got ${JSON.stringify(text)}`);
  return value;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      runs: { type: "string", default: "1" },
      rate: { type: "string", default: "400" },
      connections: { type: "string", default: "4" },
      requests: { type: "string", default: "10000" },
      "warmup-ms": { type: "string", default: "1500" },
      "timeout-ms": { type: "string", default: "2000" },
      "slow-every": { type: "string", default: "20" },
      "slow-ms": { type: "string", default: "250" },
      verbose: { type: "boolean", short: "v", default: false },
      "bad-version": { type: "boolean", default: false },
      "fail-percent": { type: "string", default: "20" },
      "bake-seconds": { type: "string", default: "10" },
      "reload-mid-deploy": { type: "boolean", default: false },
      "reload-member": { type: "string", default: "lb2" },
      "reload-during": { type: "string" },
    },
  });
  const reloadMember = values["reload-member"];
  if (reloadMember !== "lb1" && reloadMember !== "lb2" && !values["reload-during"]) throw new Error(`--reload-member must be lb1 or lb2, got ${JSON.stringify(reloadMember)}`);
  if (values["reload-mid-deploy"] && values["bad-version"]) throw new Error("--reload-mid-deploy and --bad-version are separate scenarios: give one");
  const reloadDuring = values["reload-during"];
  if (reloadDuring !== undefined && reloadDuring !== "replace") throw new Error(`--reload-during takes replace, got ${JSON.stringify(reloadDuring)}`);
  const replaceMember = reloadDuring ? (values["reload-member"] === "lb2" ? "lb3" : values["reload-member"]) : undefined;
  if (replaceMember !== undefined && replaceMember !== "lb3" && replaceMember !== "lb4") throw new Error(`with --reload-during replace, --reload-member must be lb3 or lb4, got ${JSON.stringify(replaceMember)}`);
  const settings: BenchmarkSettings = {
    runs: Math.floor(positive("runs", values.runs)),
    ratePerSecond: positive("rate", values.rate),
    connectionsPerFrontend: Math.floor(positive("connections", values.connections)),
    minRequestsPerWay: Math.floor(positive("requests", values.requests)),
    requestTimeoutMs: positive("timeout-ms", values["timeout-ms"]),
    warmupMs: positive("warmup-ms", values["warmup-ms"]),
    slowEvery: values["slow-every"] === "0" ? 0 : Math.floor(positive("slow-every", values["slow-every"])),
    slowMs: positive("slow-ms", values["slow-ms"]),
    leadInMs: 1000,
    tailMs: 3000,
    maxLoadSeconds: 300,
    calibrationRounds: 5,
    deployTimeoutMs: 240_000,
    ...(values["bad-version"] ? { badVersion: { failPercent: positive("fail-percent", values["fail-percent"]), bakeSeconds: positive("bake-seconds", values["bake-seconds"]) } } : {}),
    ...(values["reload-mid-deploy"] && (reloadMember === "lb1" || reloadMember === "lb2") ? { reloadMidDeploy: { member: reloadMember } } : {}),
    log: (line) => process.stderr.write(`${new Date().toISOString().slice(11, 19)}  ${line}\n`),
    onHeader: (lines) => process.stdout.write(`${lines.join("\n")}\n\n`),
    onWay: (way) => {
      if (values.verbose) process.stderr.write(`${wayDetails(way).join("\n")}\n`);
    },
  };
  const out = (text = "") => process.stdout.write(`${text}\n`);
  if (replaceMember) {
    // A measurement: exit 0 once it ran, whatever it measured.
    out(replaceReloadReport(await runReplaceReloads(settings, replaceMember), replaceMember, settings).join("\n"));
    return 0;
  }
  const report = await runRollingBenchmark(settings);
  if (report.badWays && settings.badVersion) {
    const { code, lines } = badVersionReport(report.badWays, settings.badVersion);
    out(lines.join("\n"));
    return code;
  }
  if (report.reloadWays && settings.reloadMidDeploy) {
    const { code, lines } = reloadReport(report.reloadWays, settings.reloadMidDeploy.member, settings);
    out(lines.join("\n"));
    return code;
  }
  out(resultsTable(report.ways));
  out("* stop + start only: the careless way does not wait for the warm-ups.");
  out();
  for (const way of report.ways) out(`${wayDetails(way).join("\n")}\n`);
  out(METHOD.join("\n"));
  out();
  const { code, lines } = verdict(report);
  out(lines.join("\n"));
  return code;
}

main()
  .catch((error: unknown) => {
    process.stderr.write(`rolling-under-load: ${error instanceof Error ? error.message : String(error)}\n`);
    return 3;
  })
  .then(async (code) => {
    await stopAll().catch((error: unknown) => process.stderr.write(`cleanup: ${String(error)}\n`));
    process.exit(code);
  });
