// `wait` on a real two-member cluster: safe, held back by one member's view of a server,
// watching it change, and never "safe" while a member cannot be read.
import assert from "node:assert/strict";
import { refusedPort } from "../support/fake-members";
import type { Cluster } from "../support/haproxy";
import { runCli, show, startCli, useTwoMemberCluster } from "./helpers";

describe("wait on a two-member cluster", function () {
  let cluster: Cluster;
  let members: string[];
  useTwoMemberCluster((started, specs) => {
    cluster = started;
    members = specs;
  });

  /** lb2 alone sees server2 DOWN: its checks are off and its verdict forced down. */
  async function server2DownOnLb2Only(): Promise<void> {
    const lb2 = cluster.lbs[1]!;
    await lb2.runtime("disable health myapp/server2");
    await lb2.runtime("set server myapp/server2 health down");
    assert.equal((await lb2.stat("myapp", "server2")).status, "DOWN");
    assert.equal((await cluster.lbs[0]!.stat("myapp", "server2")).status, "UP");
  }

  it("exits 0 once the backend is safe on every member, printing each poll's numbers on stderr", async function () {
    const r = await runCli(["wait", "--backend", "myapp", "--interval", "0.2", "--min-checks", "2", "--timeout", "10", ...members]);
    assert.equal(r.code, 0, show(r));
    assert.equal(r.stdout, "");
    assert.match(r.stderr, new RegExp(`^poll 1 \\(1/2 in a row, [0-9.]+ s\\): ${members[0]} myapp 3/3 100% ok; ${members[1]} myapp 3/3 100% ok$`, "m"));
    assert.match(r.stderr, /^myapp: rolling-restart safe on 2 members \(80%, 2 checks in a row\) after 2 polls, [0-9.]+ s\.$/m);
  });

  it("prints nothing with --quiet and the verdict per member with --json", async function () {
    const r = await runCli(["wait", "--quiet", "--json", "--backend", "myapp", "--interval", "0.2", "--min-checks", "1", ...members]);
    assert.equal(r.code, 0, show(r));
    assert.equal(r.stderr, "");
    const doc = JSON.parse(r.stdout) as { safe: boolean; members: Array<{ member: string; ok: boolean; backends: Array<{ serving: number }> }> };
    assert.equal(doc.safe, true);
    assert.deepEqual(doc.members.map((m) => [m.member, m.ok, m.backends[0]!.serving]), [[members[0], true, 3], [members[1], true, 3]]);
  });

  it("exits 2 at the deadline when one member alone sees a server DOWN, naming that member and its numbers", async function () {
    await server2DownOnLb2Only();
    const r = await runCli(["wait", "--backend", "myapp", "--interval", "0.2", "--timeout", "1.5", ...members]);
    assert.equal(r.code, 2, show(r));
    const last = r.stderr.trimEnd().split("\n").pop();
    assert.equal(last, `gave up waiting for myapp rolling-restart safe (80%) after 1.5 s; ${members[1]}: myapp 2/3 serving (66.7% < 80%).`);
    assert.match(r.stderr, new RegExp(`${members[1]} myapp 2/3 66.7% not yet`));
  });

  it("prints the transition it sees and finishes once the member sees the server UP again", async function () {
    await server2DownOnLb2Only();
    const cli = startCli(["wait", "--backend", "myapp", "--interval", "0.2", "--min-checks", "3", "--timeout", "20", ...members]);
    await cli.stderrMatch(/^poll 1 /m);
    // Checks resume from the forced-down verdict: DOWN, DOWN 1/2, then UP after `rise` checks.
    await cluster.lbs[1]!.runtime("enable health myapp/server2");
    const r = await cli.result;
    assert.equal(r.code, 0, show(r));
    assert.match(r.stderr, new RegExp(`^${members[1]} sees myapp/server2 go DOWN( 1/2)? -> UP$`, "m"));
    assert.doesNotMatch(r.stderr, new RegExp(`^${members[0]} sees`, "m"));
  });

  it("never reports safe while a member is unreachable: exit 3 naming it", async function () {
    const dead = `tcp://127.0.0.1:${await refusedPort()}`;
    const r = await runCli(["wait", "--backend", "myapp", "--interval", "0.2", "--timeout", "1", ...members, dead]);
    assert.equal(r.code, 3, show(r));
    assert.match(r.stderr.trimEnd().split("\n").pop()!, new RegExp(`^gave up waiting .* after 1 s; ${dead}: cannot be read.*connection refused`));
  });

  it("stops at once with exit 3 for a backend that does not exist instead of waiting for the deadline", async function () {
    const deadlineSeconds = 300;
    const r = await runCli(["wait", "--backend", "nosuch", "--timeout", String(deadlineSeconds), ...members]);
    assert.equal(r.code, 3, show(r));
    // Refused on the first read: no progress line and no deadline message (the direct sign,
    // where a bound of a few seconds would also time Node's start-up on a loaded machine).
    assert.doesNotMatch(r.stderr, /^poll \d|gave up waiting/m, show(r));
    assert.ok(r.ms < (deadlineSeconds * 1000) / 10, `took ${r.ms} ms`);
    assert.match(r.stderr, /nosuch/);
  });
});
