// The short form of bench/rolling-under-load.ts, so that a regression of the main promise
// fails CI: under constant load through both HAProxy frontends, a rolling deploy by the CLI
// deploy script (a) and by `pulumi up` (b) loses no request and ends with every server on
// the new version, while careless restarts (c) lose requests under the same load. A replace
// deploy by `pulumi up` (r) loses none either, and never serves with fewer servers than before.
import assert from "node:assert/strict";
import { runRollingBenchmark, type BenchmarkReport, type WayName, type WayResult } from "../../bench/rolling/benchmark";
import { wayDetails } from "../../bench/rolling/report";

describe("rolling deploy under load (short benchmark)", function () {
  let report: BenchmarkReport;
  const progress: string[] = [];

  before(async function () {
    // One run of three deploys, ~1 minute; the Pulumi CLI comes from its cache (a cold build takes minutes).
    this.timeout(12 * 60_000);
    report = await runRollingBenchmark({
      runs: 1,
      ratePerSecond: 200,
      connectionsPerFrontend: 2,
      minRequestsPerWay: 1500,
      requestTimeoutMs: 2000,
      slowEvery: 20,
      slowMs: 250,
      warmupMs: 1500,
      leadInMs: 1000,
      tailMs: 2000,
      maxLoadSeconds: 120,
      calibrationRounds: 2,
      deployTimeoutMs: 120_000,
      log: (line) => progress.push(line),
    });
  });

  function way(name: WayName): WayResult {
    const found = report.ways.find((w) => w.way === name);
    assert.ok(found, `way (${name}) did not run: ${report.stoppedEarly ?? "no reason given"}\n${progress.join("\n")}`);
    return found;
  }

  const explain = (w: WayResult): string => wayDetails(w).join("\n");

  it("runs every way to the end", function () {
    assert.equal(report.stoppedEarly, undefined, `${report.stoppedEarly}\n${progress.join("\n")}`);
  });

  for (const name of ["a", "b", "r"] as const) {
    it(`loses no request in way (${name}) and ends with every server on the new version, directly and through both frontends`, function () {
      const w = way(name);
      assert.ok(w.load.sent >= 1500, `only ${w.load.sent} requests were sent\n${explain(w)}`);
      assert.equal(w.load.failed, 0, explain(w));
      assert.ok(w.check.ok, explain(w));
      assert.deepEqual(w.problems, [], explain(w));
    });
  }

  it("never serves with fewer servers than before on any member during the replace deploy (r), and replaces every server", function () {
    const w = way("r");
    const serving = w.serving!;
    assert.ok(serving.samplesDuring >= 10, `only ${serving.samplesDuring} reads of the serving count\n${explain(w)}`);
    serving.members.forEach((member, i) => assert.ok(serving.minDuring[i]! >= serving.before[i]!, `${member}: ${serving.summary}\n${explain(w)}`));
    assert.equal(w.replaced!.after.filter((s) => w.replaced!.before.includes(s)).length, 0, explain(w));
  });

  it("loses requests in the careless way (c) under the same load: the benchmark tells the difference", function () {
    const w = way("c");
    assert.equal(w.deploy.error, undefined, explain(w));
    assert.ok(w.load.failed > 0, `careless restarts lost no request, so the load cannot tell careful from careless\n${explain(w)}`);
  });
});
