// The error-rate analysis against real HAProxy members and real app servers under steady
// traffic: a version that fails a fifth of real requests while /check passes is caught,
// a slow one is caught by response time, a good one passes every time, too little
// traffic says so at the deadline, and a counter reset during the window (what a reload
// does, and a real graceful reload) gives no false verdict.
import assert from "node:assert/strict";
import { Cluster as HcCluster, analyseServer, applyServerAction, type AnalysisVerdict } from "../../provider";
import { countingProxy } from "../support/counting-proxy";
import { runtimeMembers } from "../cli/helpers";
import { waitFor } from "../support/deadline";
import { checkedUp, startCluster, type Cluster } from "../support/haproxy";
import { startTraffic, type Traffic } from "../support/traffic";
import { literally } from "../support/regexp";

/** A short bake: at ~150 requests per second through both frontends each server answers ~50 per second. */
const FAST = { bakeSeconds: 4, timeoutSeconds: 20, minRequests: 100, intervalSeconds: 0.5 };
/** How many good analyses in a row must pass (no false alarm). */
const GOOD_RUNS = 5;

describe("error-rate analysis on a two-member cluster under traffic", function () {
  this.timeout(180_000);
  let rig: Cluster;
  let cluster: HcCluster;
  let traffic: Traffic | undefined;

  before(async function () {
    rig = await startCluster({ members: 2, servers: 3 });
    cluster = new HcCluster(runtimeMembers(rig));
  });
  after(async function () {
    await traffic?.stop();
    await cluster?.close();
    await rig?.stop();
  });
  beforeEach(function () {
    traffic = startTraffic({ urls: rig.lbs.map((lb) => lb.frontendUrl), connections: 4, pauseMs: 40 });
  });
  afterEach(async function () {
    await traffic?.stop();
    traffic = undefined;
    await Promise.all(rig.apps.map((app) => app.setBehaviour({ failPercent: 0, slowMs: 0 })));
  });

  const explain = (v: AnalysisVerdict): string => `${v.message}\n${JSON.stringify(v.perMember)}`;

  it("calls a server that fails a fifth of real requests (while /check passes) a regression, with the numbers on both sides", async function () {
    await rig.apps[0]!.setBehaviour({ failPercent: 20 });
    const verdict = await analyseServer(cluster, "myapp", "server1", FAST);
    assert.equal(verdict.outcome, "regression", explain(verdict));
    assert.ok(verdict.numbers.server.errorPercent > 12 && verdict.numbers.server.errorPercent < 28, explain(verdict));
    assert.equal(verdict.numbers.peers.errors, 0, explain(verdict));
    // Both peers took their share: round robin gives each about as many as server1, which
    // had at least minRequests at the verdict (less the few in flight on a loaded machine,
    // where the bake runs on until server1 has them: hence 1.8, not 2).
    assert.ok(verdict.numbers.peers.requests >= 1.8 * FAST.minRequests, explain(verdict));
    assert.deepEqual(verdict.peers.sort(), ["server2", "server3"]);
    assert.deepEqual(verdict.members, cluster.memberNames);
    assert.ok(verdict.perMember.every((m) => m.server.errors > 0), explain(verdict));
    assert.match(verdict.message, /^myapp\/server1 regressed on 2 members .*above the ceiling of 5%.*above its peers' 0\.00%/, verdict.message);
    // The 500s reached users: the app answered them, HAProxy counted them as hrsp_5xx.
    assert.ok((traffic!.counts.get("500") ?? 0) > 0);
  });

  it("calls a server whose answers are much slower, with no errors, a regression by response time", async function () {
    await rig.apps[1]!.setBehaviour({ slowMs: 150 });
    const verdict = await analyseServer(cluster, "myapp", "server2", FAST);
    assert.equal(verdict.outcome, "regression", explain(verdict));
    assert.equal(verdict.numbers.server.errors, 0, explain(verdict));
    assert.equal(verdict.reasons.length, 1, explain(verdict));
    assert.match(verdict.reasons[0]!, /mean response time .* above 2 × its peers'/);
    assert.ok(verdict.numbers.server.responseTimeMs! > 100, explain(verdict));
    // The peers are fast: well under the 150 ms the slow one adds, however loaded the machine.
    assert.ok(verdict.numbers.peers.responseTimeMs! < 75, explain(verdict));
  });

  it(`passes a good server ${GOOD_RUNS} times in a row (no false alarm)`, async function () {
    for (let run = 1; run <= GOOD_RUNS; run++) {
      const verdict = await analyseServer(cluster, "myapp", `server${1 + (run % 3)}`, FAST);
      assert.equal(verdict.outcome, "good", `run ${run}: ${explain(verdict)}`);
      assert.ok(verdict.numbers.server.requests >= FAST.minRequests);
      assert.deepEqual(verdict.reasons, []);
    }
  });

  it("says not enough traffic, not good, when too few requests arrive before the deadline", async function () {
    await traffic!.stop();
    traffic = undefined;
    const started = Date.now();
    const verdict = await analyseServer(cluster, "myapp", "server3", { ...FAST, bakeSeconds: 2, timeoutSeconds: 5 });
    const seconds = (Date.now() - started) / 1000;
    assert.equal(verdict.outcome, "not-enough-traffic", explain(verdict));
    assert.ok(seconds >= 5 && seconds < 8, `took ${seconds} s`);
    assert.match(verdict.message, /^not enough traffic to judge myapp\/server3 .*fewer than the 100 needed/);
  });

  /** Runs `body` with `app` failing its health checks, then waits for it to be UP again everywhere. */
  async function whileFailingChecks<T>(app: number, body: () => Promise<T>): Promise<T> {
    try {
      return await body();
    } finally {
      await rig.apps[app]!.setReady(true);
      await Promise.all(rig.lbs.map((lb) => lb.waitForRow("myapp", rig.apps[app]!.name, checkedUp, 20_000)));
    }
  }

  it("fails a server that goes DOWN during the bake, saying so, however little traffic it had", async function () {
    await traffic!.stop();
    traffic = undefined;
    const started = Date.now();
    const verdict = await whileFailingChecks(2, () =>
      analyseServer(cluster, "myapp", "server3", {
        ...FAST,
        onProgress: (p) => {
          if (p.reads === 2) void rig.apps[2]!.setReady(false);
        },
      }),
    );
    assert.equal(verdict.outcome, "regression", explain(verdict));
    // The first fall any member sees is the verdict; each HAProxy checks on its own, so the
    // other may not have seen it yet at that read (CI, HAProxy 3.2: one of two had).
    assert.ok(verdict.down.length >= 1 && verdict.down.every((m) => cluster.memberNames.includes(m)), explain(verdict));
    assert.match(verdict.message, new RegExp(`^myapp/server3 regressed on 2 members .*: it went DOWN during the window on ${literally(verdict.down.join(", "))} \\(last health check: L7STS\\)`), explain(verdict));
    // A fall is the verdict: no waiting out the 20 s deadline for traffic.
    assert.ok(Date.now() - started < FAST.timeoutSeconds * 1000, explain(verdict));
  });

  it("fails a server that is DOWN from the start to the end of the bake, and ends with the bake", async function () {
    await traffic!.stop();
    traffic = undefined;
    const verdict = await whileFailingChecks(1, async () => {
      await rig.apps[1]!.setReady(false);
      await Promise.all(rig.lbs.map((lb) => lb.waitForStatus("myapp", "server2", (s) => s === "DOWN")));
      const started = Date.now();
      const v = await analyseServer(cluster, "myapp", "server2", { ...FAST, bakeSeconds: 2, timeoutSeconds: 10 });
      assert.ok(Date.now() - started < 6_000, `took ${Date.now() - started} ms: ${explain(v)}`);
      return v;
    });
    assert.equal(verdict.outcome, "regression", explain(verdict));
    assert.deepEqual(verdict.down, cluster.memberNames, explain(verdict));
    assert.match(verdict.message, /: it was DOWN from the start to the end of the window on /, explain(verdict));
  });

  it("gives no false verdict when a member's counters restart during the window (clear counters all)", async function () {
    // Enough history first, so a naive delta across the reset would be negative.
    await waitFor("server1 to have 300 responses on lb1", async () => {
      const row = await rig.lbs[0]!.stat("myapp", "server1");
      return Number(row.hrsp_2xx) >= 300 ? true : undefined;
    }, { timeoutMs: 30_000 });
    let cleared = false;
    const verdict = await analyseServer(cluster, "myapp", "server1", {
      ...FAST,
      onProgress: (p) => {
        if (!cleared && p.reads === 3) {
          cleared = true;
          void rig.lbs[0]!.runtime("clear counters all");
        }
      },
    });
    assert.ok(cleared);
    assert.equal(verdict.outcome, "good", explain(verdict));
    assert.deepEqual(verdict.resets, [cluster.memberNames[0]], explain(verdict));
    for (const m of verdict.perMember) {
      assert.ok(m.server.requests >= 0 && m.server.errors === 0 && m.peers.requests >= 0, explain(verdict));
    }
    assert.match(verdict.message, /Counters restarted on unix:.* during the window/);
  });

  it("gives no false verdict when a member is reloaded gracefully (a new process with -sf) during the window", async function () {
    let reloaded: Promise<number> | undefined;
    const verdict = await analyseServer(cluster, "myapp", "server2", {
      ...FAST,
      onProgress: (p) => {
        if (!reloaded && p.reads === 3) reloaded = rig.lbs[1]!.reload();
      },
    });
    assert.ok(reloaded, "the reload was started during the window");
    await reloaded;
    assert.equal(verdict.outcome, "good", explain(verdict));
    assert.deepEqual(verdict.resets, [cluster.memberNames[1]], explain(verdict));
    for (const m of verdict.perMember) assert.ok(m.server.requests >= 0 && m.server.errors === 0, explain(verdict));
  });

  it("still catches a bad server when a member's counters restart during the window", async function () {
    await rig.apps[2]!.setBehaviour({ failPercent: 20 });
    let cleared = false;
    const verdict = await analyseServer(cluster, "myapp", "server3", {
      ...FAST,
      onProgress: (p) => {
        if (!cleared && p.reads === 3) {
          cleared = true;
          void rig.lbs[1]!.runtime("clear counters all");
        }
      },
    });
    assert.equal(verdict.outcome, "regression", explain(verdict));
    assert.deepEqual(verdict.resets, [cluster.memberNames[1]], explain(verdict));
  });

  it("starts the window at a baseline read: errors served between that read and the call are judged", async function () {
    // The read taken when the server came back (e.g. the read back of `ready`); then a
    // burst of errors that is over before the analysis is even called.
    const baseline = await cluster.snapshot({ backend: "myapp" });
    const errorsSince = (snap: typeof baseline): number =>
      cluster.memberNames.reduce((n, m) => n + Number(snap.snapshots.get(m)!.backend("myapp").server("server1").int("hrsp_5xx") ?? 0) - Number(baseline.snapshots.get(m)!.backend("myapp").server("server1").int("hrsp_5xx") ?? 0), 0);
    await rig.apps[0]!.setBehaviour({ failPercent: 100 });
    await waitFor("60 errors of server1 counted by the members", async (note) => {
      const n = errorsSince(await cluster.snapshot({ backend: "myapp" }));
      note(`${n} errors`);
      return n >= 60 ? true : undefined;
    }, { timeoutMs: 30_000 });
    await rig.apps[0]!.setBehaviour({ failPercent: 0 });
    const calledAt = Date.now();
    const verdict = await analyseServer(cluster, "myapp", "server1", { ...FAST, baseline });
    assert.equal(verdict.outcome, "regression", explain(verdict));
    assert.ok(verdict.numbers.server.errors >= 60, explain(verdict));
    // Elapsed time counts from the baseline, so the bake ends that much sooner.
    assert.ok(verdict.elapsedSeconds >= (Date.now() - baseline.takenAt.getTime()) / 1000 - 0.5, explain(verdict));
    assert.ok(Date.now() - calledAt < FAST.bakeSeconds * 1000 + 3_000, explain(verdict));
  });

  it("starts from the read in which ready --wait saw the server back on every member (its report's reached): no read of its own before the first interval", async function () {
    const proxies = await Promise.all(rig.lbs.map((lb) => countingProxy(lb.adminSocket)));
    const viaProxies = new HcCluster(proxies.map((p) => p.spec));
    try {
      const out = await applyServerAction(viaProxies, "myapp", "server1", "drain", { wait: true });
      // A drain confirmed by its read back needs no poll: that read is where it was reached.
      assert.equal(out.reached, out.readBack);
      const back = await applyServerAction(viaProxies, "myapp", "server1", "ready", { wait: true, timeoutSeconds: 30 });
      const reached = back.reached;
      assert.ok(reached, "ready --wait reports the read that saw server1 back");
      assert.deepEqual([...reached.snapshots.keys()], viaProxies.memberNames);
      for (const [member, snap] of reached.snapshots) assert.equal(snap.backend("myapp").server("server1").serving, true, member);
      // What one read of the cluster costs on each member.
      for (const p of proxies) p.reset();
      await viaProxies.snapshot({ backend: "myapp" });
      const oneRead = proxies.map((p) => p.connections());
      for (const p of proxies) p.reset();
      let atFirstProgress: number[] | undefined;
      const verdict = await analyseServer(viaProxies, "myapp", "server1", {
        ...FAST,
        baseline: reached,
        onProgress: () => (atFirstProgress ??= proxies.map((p) => p.connections())),
      });
      assert.equal(verdict.outcome, "good", explain(verdict));
      // Its first progress follows its first read: the baseline was not read again.
      assert.deepEqual(atFirstProgress, oneRead);
      assert.ok(verdict.elapsedSeconds >= (Date.now() - reached.takenAt.getTime()) / 1000 - 0.5, explain(verdict));
    } finally {
      await viaProxies.close();
      await Promise.all(proxies.map((p) => p.close()));
    }
  });

  it("refuses a baseline that lacks a member, naming it, before any read", async function () {
    const partial = await new HcCluster([cluster.members[0]!]).snapshot({ backend: "myapp" });
    await assert.rejects(
      analyseServer(cluster, "myapp", "server1", { ...FAST, baseline: partial }),
      (e: Error & { code?: string }) => e.code === "HC_BAD_SPEC" && e.message.includes(`baseline has no read of ${cluster.memberNames[1]}`),
    );
  });

  it("refuses an unknown server at once, naming the member", async function () {
    await assert.rejects(analyseServer(cluster, "myapp", "nosuch", FAST), (e: Error & { code?: string }) => e.code === "HC_UNKNOWN_SERVER" && /backend myapp has no server nosuch/.test(e.message));
  });
});
