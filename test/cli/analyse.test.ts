// `analyse` and `ready --wait --bake-seconds` through the built CLI on a real two-member
// cluster under traffic: exit 2 with the verdict for a bad version (drained on every
// member with --on-failure drain), 0 for a good one, 3 when there is too little traffic.
import assert from "node:assert/strict";
import { countingProxy } from "../support/counting-proxy";
import type { Cluster } from "../support/haproxy";
import { startTraffic, type Traffic } from "../support/traffic";
import { runCli, show, useTwoMemberCluster } from "./helpers";

const BAKE = ["--bake-seconds", "4", "--bake-timeout", "20", "--min-requests", "100"];

describe("analyse and ready --bake-seconds on a two-member cluster", function () {
  this.timeout(120_000);
  let cluster: Cluster;
  let members: string[];
  let traffic: Traffic | undefined;
  // Before the shared reset (hooks run in the order they are declared): it waits for 0 sessions.
  afterEach(async function () {
    await traffic?.stop();
    traffic = undefined;
    await Promise.all(cluster.apps.map((app) => app.setBehaviour({ failPercent: 0, slowMs: 0 })));
  });
  useTwoMemberCluster((started, specs) => {
    cluster = started;
    members = specs;
  });
  const load = () => (traffic = startTraffic({ urls: cluster.lbs.map((lb) => lb.frontendUrl), connections: 4, pauseMs: 40 }));

  it("exits 2 for a server failing a fifth of requests, and with --on-failure drain leaves it drained on every member", async function () {
    await cluster.apps[0]!.setBehaviour({ failPercent: 20 });
    load();
    const r = await runCli(["analyse", "--backend", "myapp", "--server", "server1", ...BAKE, "--on-failure", "drain", "--json", ...members]);
    assert.equal(r.code, 2, show(r));
    assert.match(r.stderr, /myapp\/server1 regressed on 2 members .* error rate .* above the ceiling of 5%.*myapp\/server1 is drained on every member/s, show(r));
    const verdict = JSON.parse(r.stdout) as { outcome: string; drained: boolean; numbers: { server: { errorPercent: number } } };
    assert.equal(verdict.outcome, "regression");
    assert.equal(verdict.drained, true);
    assert.ok(verdict.numbers.server.errorPercent > 10);
    for (const lb of cluster.lbs) assert.equal((await lb.stat("myapp", "server1")).status, "DRAIN");
  });

  it("puts a drained server back with ready --wait --bake-seconds and exits 0 when it is good", async function () {
    for (const lb of cluster.lbs) await lb.runtime("set server myapp/server2 state drain");
    load();
    const r = await runCli(["ready", "--backend", "myapp", "--server", "server2", "--wait", ...BAKE, ...members]);
    assert.equal(r.code, 0, show(r));
    assert.match(r.stderr, /myapp\/server2 looks good after \d+ s on 2 members/, show(r));
  });

  it("ready --wait --bake-seconds starts the bake at the wait's last poll: the analysis reads no member again before its first interval", async function () {
    for (const lb of cluster.lbs) await lb.runtime("set server myapp/server2 state drain");
    const proxy = await countingProxy(cluster.lbs[0]!.adminSocket);
    try {
      load();
      const r = await runCli(["ready", "--backend", "myapp", "--server", "server2", "--wait", ...BAKE, "--json", proxy.spec, ...members.slice(1)]);
      assert.equal(r.code, 0, show(r));
      const verdict = JSON.parse(r.stdout) as { outcome: string; reads: number };
      assert.equal(verdict.outcome, "good", show(r));
      // Reads of the member: the ready's read back, each poll of its wait (one progress
      // line each), then the analysis's reads, the first of which is the wait's last poll.
      const reads = proxy.commands().filter((c) => /^show info; show servers state myapp; show stat myapp/.test(c)).length;
      const polls = r.stderr.split("\n").filter((l) => l.startsWith("poll ")).length;
      assert.ok(polls >= 1, show(r));
      assert.equal(reads, 1 + polls + (verdict.reads - 1), `${proxy.commands().join(" | ")}\n${show(r)}`);
    } finally {
      await proxy.close();
    }
  });

  it("exits 2 from ready --wait --bake-seconds for a slow version, leaving it serving by default", async function () {
    for (const lb of cluster.lbs) await lb.runtime("set server myapp/server3 state drain");
    await cluster.apps[2]!.setBehaviour({ slowMs: 150 });
    load();
    const r = await runCli(["ready", "--backend", "myapp", "--server", "server3", "--wait", ...BAKE, ...members]);
    assert.equal(r.code, 2, show(r));
    assert.match(r.stderr, /mean response time .* above 2 × its peers'/, show(r));
    for (const lb of cluster.lbs) assert.equal((await lb.stat("myapp", "server3")).status, "UP");
  });

  it("exits 3 with not enough traffic when too few requests arrive", async function () {
    const r = await runCli(["analyse", "--backend", "myapp", "--server", "server2", "--bake-seconds", "1", "--bake-timeout", "3", ...members]);
    assert.equal(r.code, 3, show(r));
    assert.match(r.stderr, /not enough traffic to judge myapp\/server2 .*fewer than the 100 needed/, show(r));
  });

  it("refuses bake thresholds without --bake-seconds on ready, and a bad --on-failure, with exit 3", async function () {
    const a = await runCli(["ready", "--backend", "myapp", "--server", "server2", "--wait", "--min-requests", "5", ...members]);
    assert.equal(a.code, 3, show(a));
    assert.equal(a.stderr, "--min-requests needs --bake-seconds N: it sets how the server is judged after it is back.\n");
    const b = await runCli(["analyse", "--backend", "myapp", "--server", "server2", "--on-failure", "rollback", ...members]);
    assert.equal(b.code, 3, show(b));
    assert.equal(b.stderr, '--on-failure must be fail or drain, not "rollback".\n');
    // The host-wide form judges no server: the bake is refused, not silently left out.
    const c = await runCli(["ready", "--host", "server2", "--wait", "--bake-seconds", "5", ...members]);
    assert.equal(c.code, 3, show(c));
    assert.equal(c.stderr, "--bake-seconds judges one server once it is back: use it with --backend and one --server, not --host.\n");
  });
});
