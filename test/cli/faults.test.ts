// The CLI under faults and bad input on a real two-member cluster: deadlines that hold
// against a hung member, advice after a lost reply, weight-0 servers, secrets in URLs,
// and messages for bad values.
import assert from "node:assert/strict";
import { startBlackhole } from "../support/fake-members";
import { startReplyEater } from "../support/faulty-peers";
import type { Cluster } from "../support/haproxy";
import { runCli, show, useTwoMemberCluster } from "./helpers";

describe("the CLI under faults and bad input", function () {
  let cluster: Cluster;
  let members: string[];
  useTwoMemberCluster((started, specs) => {
    cluster = started;
    members = specs;
  });

  it("ends wait --timeout 3 by its deadline when a member hangs from the start, exiting 3 and naming it", async function () {
    const hung = await startBlackhole();
    try {
      const r = await runCli(["wait", "--backend", "myapp", "--timeout", "3", "--request-timeout", "30", members[0]!, hung.url]);
      assert.equal(r.code, 3, show(r));
      assert.match(r.stderr, new RegExp(`gave up waiting .* after 3 s; ${hung.url.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}: cannot be read`));
      // The poll ends by the deadline; the whole process well before one 30 s request
      // (Node's start-up on a loaded machine comes on top, so only a loose bound there).
      const elapsed = Number(/poll 1 \(0\/3 in a row, ([\d.]+) s\)/.exec(r.stderr)?.[1]);
      assert.ok(elapsed >= 2.9 && elapsed < 10, show(r)); // a 30 s request would end it at 30 s
      assert.ok(r.ms < 20_000, show(r));
    } finally {
      await hung.close();
    }
  });

  it("ends a one-shot check within one --timeout when a Runtime API member accepts and never answers, saying the time it waited", async function () {
    const hung = await startBlackhole();
    const timeoutSeconds = 3;
    try {
      const member = `tcp://127.0.0.1:${hung.port}`;
      const r = await runCli(["check", "--backend", "myapp", "--timeout", String(timeoutSeconds), members[0]!, member]);
      assert.equal(r.code, 3, show(r));
      assert.match(r.stdout, new RegExp(`^HAPROXY-CLUSTER UNKNOWN - ${member.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}: no complete answer to \`[^\`]+\` within ${timeoutSeconds} s;`), show(r));
      // One request, given up at its deadline: timed from the silent member's side, from the
      // connection to the CLI's exit, so Node's start-up on a loaded machine is not counted.
      // A second request (asking the silent socket whether it is a master) would be a second
      // connection and a second deadline.
      const connections = hung.connections();
      assert.equal(connections.length, 1, `one connection to the silent member, not ${connections.length}\n${show(r)}`);
      const heldMs = r.endedAt - connections[0]!.openedAt;
      assert.ok(heldMs < (timeoutSeconds + 1.5) * 1000, `the CLI ended ${heldMs} ms after it connected\n${show(r)}`);
      assert.ok(r.ms < 4 * timeoutSeconds * 1000, show(r));
    } finally {
      await hung.close();
    }
  });

  it("fails at once, exit 3, on a backend name with a space", async function () {
    const r = await runCli(["wait", "--backend", "my app", "--timeout", "60", ...members]);
    assert.equal(r.code, 3, show(r));
    assert.match(r.stderr, /^--backend "my app" cannot be a backend name: HAProxy names are not empty and use only letters, digits/);
    assert.ok(r.ms < 10_000, show(r));
  });

  it("after a write whose reply was lost, reports what the member shows instead of NOT drained", async function () {
    const eater = await startReplyEater({ host: "127.0.0.1", port: Number(new URL(cluster.lbs[1]!.tcpSocket).port) });
    try {
      const r = await runCli(["drain", "--backend", "myapp", "--server", "server1", members[0]!, eater.spec]);
      assert.equal(r.code, 0, show(r));
      assert.match(r.stderr, new RegExp(`^${eater.spec}: myapp/server1 drained \\(its reply was lost: .*; read again, it shows DRAIN\\)$`, "m"));
      assert.doesNotMatch(r.stderr, /NOT drained|To go back/);
      assert.deepEqual(await Promise.all(cluster.lbs.map(async (lb) => (await lb.stat("myapp", "server1")).status)), ["DRAIN", "DRAIN"]);
    } finally {
      await eater.close();
    }
  });

  it("does not count weight-0 servers as serving: check is CRITICAL with two of three at weight 0", async function () {
    for (const lb of cluster.lbs) for (const s of ["server1", "server2"]) await lb.runtime(`set weight myapp/${s} 0`);
    const r = await runCli(["check", "--backend", "myapp", ...members]);
    assert.equal(r.code, 2, show(r));
    assert.match(r.stdout, /^HAPROXY-CLUSTER CRITICAL - .*1\/3 serving/);
  });

  it("says how to give a negative-looking value instead of 'takes no value'", async function () {
    const r = await runCli(["wait", "--backend", "myapp", "--timeout", "-1", ...members]);
    assert.equal(r.code, 3, show(r));
    assert.match(r.stderr, /option --timeout got a value starting with "-"/);
    assert.doesNotMatch(r.stderr, /takes no value/);
  });

  describe("passwords in member URLs", function () {
    it("never prints a password holding an unencoded /", async function () {
      const r = await runCli(["status", "http://admin:pa/ss-s3cret@127.0.0.1:1/stats"]);
      assert.equal(r.code, 3, show(r));
      assert.ok(!`${r.stdout}${r.stderr}`.includes("ss-s3cret"), show(r));
      assert.ok(!`${r.stdout}${r.stderr}`.includes("pa/ss"), show(r));
    });

    it("refuses a malformed %-escape in the password as a bad spec, without the password", async function () {
      const r = await runCli(["status", "http://admin:pw%zz-s3cret@127.0.0.1:1/stats"]);
      assert.equal(r.code, 3, show(r));
      assert.match(r.stderr, /the password in the URL is not valid percent-encoding/);
      assert.doesNotMatch(r.stderr, /internal error|URI malformed|s3cret/);
    });

    it("warns that a password in a member URL on the command line shows in ps, and not when it comes from a file", async function () {
      const lb = cluster.lbs[0]!;
      const url = lb.statsUrl.replace("http://", `http://${lb.statsAuth!.user}:${encodeURIComponent(lb.statsAuth!.password)}@`);
      const r = await runCli(["status", "--backend", "myapp", url]);
      assert.equal(r.code, 0, show(r));
      assert.match(r.stderr, /holds a password, which other users can read in `ps`; put it in HAPROXY_CLUSTER_PASSWORD or --password-file/);
      const env = await runCli(["status", "--backend", "myapp"], { env: { HAPROXY_CLUSTER_MEMBERS: url } });
      assert.equal(env.code, 0, show(env));
      assert.doesNotMatch(env.stderr, /`ps`/);
    });
  });
});
