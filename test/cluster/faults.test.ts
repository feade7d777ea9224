// The framework under faults and bad input, against real HAProxy: weight-0 servers,
// deadlines that hold (hung members, trickling answers, timeouts past Node's timer
// limit), options checked where they enter, a write whose reply is lost.

import { strict as assert } from "node:assert";
import net from "node:net";
import { Cluster } from "../../provider/cluster/cluster";
import { applyServerAction } from "../../provider/cluster/actions";
import { HcError, isHcError } from "../../provider/errors";
import { Member } from "../../provider/model/member";
import { startBlackhole } from "../support/fake-members";
import { startReplyEater, startTrickle } from "../support/faulty-peers";
import { waitFor } from "../support/deadline";
import { startCluster, type Cluster as Rig } from "../support/haproxy";
import { memberSpec } from "../support/member-specs";

const isCode = (code: string) => (e: unknown) => isHcError(e) && e.code === code;

describe("the framework under faults and bad input", function () {
  let rig: Rig;
  let lb1: string;
  let lb2: string;
  const closers: Array<() => Promise<void>> = [];

  before(async function () {
    rig = await startCluster({ members: 2, servers: 3, check: { interMs: 200, rise: 2, fall: 2 } });
    lb1 = memberSpec(rig.lbs[0]!, "unix");
    lb2 = memberSpec(rig.lbs[1]!, "tcp");
  });
  after(async function () {
    await rig?.stop();
  });
  afterEach(async function () {
    while (closers.length > 0) await closers.pop()!();
    for (const lb of rig.lbs) {
      for (const s of ["server1", "server2", "server3"]) {
        await lb.runtime(`set server myapp/${s} state ready`);
        await lb.runtime(`set weight myapp/${s} 1`);
      }
    }
  });

  const use = <T extends { close(): Promise<unknown> }>(thing: T): T => {
    closers.push(async () => void (await thing.close()));
    return thing;
  };

  describe("a weight-0 server is not serving", function () {
    it("counts a server set to weight 0, or to a percentage that rounds to 0, as not serving", async function () {
      const lb = rig.lbs[0]!;
      await lb.runtime("set weight myapp/server1 0");
      await lb.runtime("set weight myapp/server2 1%"); // 1% of weight 1 rounds down to 0
      const cluster = use(new Cluster([lb1]));
      const be = (await cluster.snapshot({ backend: "myapp" })).snapshots.get(cluster.memberNames[0]!)!.backend("myapp");
      assert.deepEqual([...be.servers.values()].map((s) => [s.name, s.weight, s.serving]), [
        ["server1", 0, false],
        ["server2", 0, false],
        ["server3", 1, true],
      ]);
      assert.deepEqual(be.capacity, { serving: 1, total: 3, percent: 100 / 3 });
      assert.equal(await cluster.rollingRestartable("myapp"), false);
    });
  });

  describe("deadlines are deadlines", function () {
    it("ends a wait at its deadline when a member hangs before the wait starts, naming it as unreadable", async function () {
      const hung = use(await startBlackhole());
      // Each request may take 30 s; the wait may take 2.
      const cluster = use(new Cluster([lb1, hung.url], { requestTimeoutSeconds: 30 }));
      const started = Date.now();
      await assert.rejects(cluster.waitUntilRollingRestartable("myapp", { timeoutSeconds: 2, intervalSeconds: 0.5 }), (e: unknown) => {
        assert.ok(isHcError(e, "HC_WAIT_DEADLINE"), String(e));
        assert.deepEqual(e.details.unreadable, [hung.url]);
        assert.match(e.message, new RegExp(`${hung.url.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}: cannot be read \\(no complete answer before the wait's deadline`));
        return true;
      });
      const ms = Date.now() - started;
      assert.ok(ms >= 1_900 && ms < 3_500, `ended after ${ms} ms`);
    });

    it("bounds a read that trickles one byte a second by the whole request's deadline, and a wait by its own", async function () {
      const trickle = use(await startTrickle());
      const member = use(new Member(trickle.url, { requestTimeoutSeconds: 2 }));
      let started = Date.now();
      await assert.rejects(member.snapshot(), isCode("HC_MEMBER_TIMEOUT"));
      let ms = Date.now() - started;
      assert.ok(ms >= 1_900 && ms < 3_500, `one read ended after ${ms} ms`);

      const cluster = use(new Cluster([trickle.url], { requestTimeoutSeconds: 30 }));
      started = Date.now();
      await assert.rejects(cluster.waitUntilRollingRestartable("myapp", { timeoutSeconds: 2 }), isCode("HC_WAIT_DEADLINE"));
      ms = Date.now() - started;
      assert.ok(ms < 3_500, `the wait ended after ${ms} ms`);
    });

    it("takes a deadline beyond Node's 24.8-day timer limit as a long deadline, not an expired one", async function () {
      const cluster = use(new Cluster([lb1, lb2]));
      const result = await cluster.waitUntilRollingRestartable("myapp", { timeoutSeconds: 2_200_000, minChecks: 2, intervalSeconds: 0.1 });
      assert.equal(result.polls, 2);
      const report = await applyServerAction(cluster, "myapp", "server1", "drain", { wait: true, timeoutSeconds: 2_200_000, intervalSeconds: 0.1 });
      assert.equal(report.waited, true);
    });

    it("names the member whose server flapped when a wait ends on too few consecutive passes", async function () {
      const cluster = use(new Cluster([lb1, lb2]));
      const lb2Name = cluster.memberNames[1]!;
      let polls = 0;
      await assert.rejects(
        cluster.waitUntil(
          (snap) => {
            // lb2 fails the first poll only (a server that went down and came back).
            if (snap.member === lb2Name && polls++ === 0) return { ok: false, reason: "myapp/server2 is DOWN" };
            return true;
          },
          { minChecks: 1_000, intervalSeconds: 0.05, timeoutSeconds: 1 },
        ),
        (e: unknown) => {
          assert.ok(isHcError(e, "HC_WAIT_DEADLINE"));
          assert.match(e.message, /it held on the last \d+ of 1000 required consecutive checks; before that, on poll 1, /);
          assert.ok(e.message.includes(`${lb2Name}: myapp/server2 is DOWN`), e.message);
          return true;
        },
      );
    });

    it("ends at once on a backend name with white space, as a bad spec", async function () {
      const cluster = use(new Cluster([lb1, lb2]));
      const started = Date.now();
      await assert.rejects(cluster.waitUntilRollingRestartable("my app", { timeoutSeconds: 30 }), (e: unknown) => {
        assert.ok(isHcError(e, "HC_BAD_SPEC"), String(e));
        assert.match(e.message, /^"my app" cannot be a backend name: HAProxy names are not empty and use only letters, digits/);
        return true;
      });
      assert.ok(Date.now() - started < 5_000);
    });

    it("says a hung HAProxy whose socket backlog is full is hung or overloaded, as a timeout", async function () {
      const lb = rig.lbs[0]!;
      const held: net.Socket[] = [];
      process.kill(lb.pid, "SIGSTOP");
      closers.push(async () => {
        process.kill(lb.pid, "SIGCONT");
        for (const s of held) s.destroy();
        // HAProxy works through the backlog it resumed with before it answers again.
        await waitFor("lb1 to answer again after SIGCONT", () => lb.runtime("show info").then(() => true, () => undefined), { timeoutMs: 20_000 });
      });
      // HAProxy accepts nothing while stopped: fill the socket's listen backlog.
      let refused = false;
      for (let i = 0; i < 500 && !refused; i++) {
        const socket = net.connect(lb.adminSocket);
        held.push(socket);
        refused = await new Promise<boolean>((resolve) => {
          socket.once("connect", () => resolve(false));
          socket.once("error", (e: NodeJS.ErrnoException) => resolve(e.code === "EAGAIN"));
        });
      }
      assert.ok(refused, "the backlog filled up");
      const member = use(new Member(lb1));
      await assert.rejects(member.snapshot(), (e: unknown) => {
        assert.ok(isHcError(e, "HC_MEMBER_TIMEOUT"), String(e));
        assert.match(e.message, /not accepting connections on its socket \(its backlog is full\): it is hung or overloaded/);
        assert.doesNotMatch(e.message, /EAGAIN|check the address/);
        return true;
      });
    });
  });

  describe("options are checked where they enter", function () {
    const cases: Array<[string, (c: Cluster) => Promise<unknown>, RegExp]> = [
      ["minChecks 0", (c) => c.waitUntilRollingRestartable("myapp", { minChecks: 0 }), /minChecks must be a whole number of at least 1, not 0\./],
      ["minChecks -1", (c) => c.waitUntil(() => true, { minChecks: -1 }), /minChecks must be a whole number of at least 1, not -1\./],
      ["minChecks 1.5", (c) => c.waitUntil(() => true, { minChecks: 1.5 }), /minChecks must be a whole number/],
      ["thresholdPercent -10", (c) => c.waitUntilRollingRestartable("myapp", { thresholdPercent: -10 }), /thresholdPercent must be a number from 0 to 100, not -10\./],
      ["thresholdPercent 101", (c) => c.rollingRestartable("myapp", { thresholdPercent: 101 }), /thresholdPercent must be a number from 0 to 100/],
      ["intervalSeconds 0", (c) => c.waitUntil(() => true, { intervalSeconds: 0 }), /intervalSeconds must be a number of seconds of at least 0\.05, not 0\./],
      ["intervalSeconds 0 in poll", (c) => c.poll(() => false, { intervalSeconds: 0 }), /poll: intervalSeconds must be/],
      ["timeoutSeconds 0", (c) => c.waitUntil(() => true, { timeoutSeconds: 0 }), /timeoutSeconds must be a number of seconds above 0, not 0\./],
      ["timeoutSeconds NaN", (c) => c.waitUntil(() => true, { timeoutSeconds: Number.NaN }), /timeoutSeconds must be/],
      ["a string timeout", (c) => c.waitUntil(() => true, { timeoutSeconds: "10" as unknown as number }), /timeoutSeconds must be a number of seconds above 0, not "10"\./],
      ["drain with timeoutSeconds -1", (c) => applyServerAction(c, "myapp", "server1", "drain", { wait: true, timeoutSeconds: -1 }), /^drain: timeoutSeconds must be/],
    ];
    for (const [what, call, message] of cases) {
      it(`refuses ${what} with HC_BAD_SPEC before reading or changing anything`, async function () {
        const cluster = use(new Cluster([lb1, lb2]));
        await assert.rejects(call(cluster), (e: unknown) => {
          assert.ok(isHcError(e, "HC_BAD_SPEC"), String(e));
          assert.match(e.message, message);
          return true;
        });
        assert.deepEqual(await Promise.all(rig.lbs.map(async (lb) => (await lb.stat("myapp", "server1")).status)), ["UP", "UP"]);
      });
    }

    it("refuses a member spec that is not a string, and a cluster that is not a list, with HC_BAD_SPEC", function () {
      assert.throws(() => new Member(42 as unknown as string), (e: unknown) => isHcError(e, "HC_BAD_SPEC") && /a member spec is a string .* not number\./.test(e.message));
      assert.throws(() => new Member(undefined as unknown as string), (e: unknown) => isHcError(e, "HC_BAD_SPEC"));
      assert.throws(() => new Cluster(lb1 as unknown as string[]), (e: unknown) => isHcError(e, "HC_BAD_SPEC") && /a cluster takes a list of members/.test(e.message));
    });
  });

  describe("a write whose reply is lost", function () {
    it("reads the member again and reports the change that is in place there as done", async function () {
      const eater = use(await startReplyEater({ host: "127.0.0.1", port: Number(new URL(rig.lbs[1]!.tcpSocket).port) }));
      const cluster = use(new Cluster([lb1, eater.spec]));
      const report = await applyServerAction(cluster, "myapp", "server1", "drain");
      assert.deepEqual(report.changed, [cluster.memberNames[0], eater.spec]);
      const lost = report.results[1]!;
      assert.equal(lost.ok, true);
      assert.deepEqual(lost.stateAfter, { "myapp/server1": "DRAIN" });
      assert.match(lost.recoveredFrom ?? "", /closed the connection before answering/);
      assert.deepEqual(await Promise.all(rig.lbs.map(async (lb) => (await lb.stat("myapp", "server1")).status)), ["DRAIN", "DRAIN"]);
    });

    it("says what a member shows after a write it cannot confirm", async function () {
      const eater = use(await startReplyEater({ host: "127.0.0.1", port: Number(new URL(rig.lbs[1]!.tcpSocket).port) }));
      // shutdown-sessions leaves no state to read back: the lost reply stays a failure, with what the member shows.
      const cluster = use(new Cluster([lb1, eater.spec]));
      await assert.rejects(applyServerAction(cluster, "myapp", "server1", "shutdown-sessions"), (e: unknown) => {
        assert.ok(e instanceof HcError && e.code === "HC_PARTIAL_FAILURE", String(e));
        assert.match(e.message, /It was applied on unix:.* only\./);
        assert.ok(e.message.includes(`${eater.spec} shows myapp/server1 UP.`), e.message);
        return true;
      });
    });
  });
});
