// The cluster framework against two real HAProxy members in front of the same apps.

import { strict as assert } from "node:assert";
import { HcError, HcPartialFailure } from "../../provider/errors";
import { Cluster, type WaitProgress } from "../../provider/cluster/cluster";
import { applyServerAction, waitForSessions } from "../../provider/cluster/actions";
import type { Transition } from "../../provider/cluster/transitions";
import { Member } from "../../provider/model/member";
import { startCluster, type Cluster as Rig } from "../support/haproxy";
import { refusedPort, startBlackhole } from "../support/fake-members";
import { waitFor } from "../support/deadline";
import { memberSpec } from "../support/member-specs";

describe("the cluster framework", function () {
  let rig: Rig;
  let cluster: Cluster;
  let lb1: Member;
  let lb2: Member;

  before(async function () {
    rig = await startCluster({ members: 2, servers: 3, check: { interMs: 200, rise: 2, fall: 2 } });
    // One member over the stats page, one over the Runtime API: the framework must not care.
    cluster = new Cluster([memberSpec(rig.lbs[0]!, "http"), memberSpec(rig.lbs[1]!, "unix")]);
    [lb1, lb2] = cluster.members as [Member, Member];
  });
  after(async function () {
    await cluster?.close();
    await rig?.stop();
  });
  afterEach(async function () {
    // Every test leaves the cluster serving, and no request held, whatever it did.
    for (const app of rig.apps) {
      await app.setReady(true);
      await app.releaseHeld();
    }
    await cluster.eachMember((m) => m.ready("myapp", ["server1", "server2", "server3"]));
    await cluster.waitUntil((s) => s.backend("myapp").capacity.serving === 3, { minChecks: 1, intervalSeconds: 0.1, timeoutSeconds: 15, snapshot: { backend: "myapp" } });
  });

  it("keys every result by member name, in the order the members were given", async function () {
    const counts = await cluster.map(async (m) => (await m.snapshot({ backend: "myapp" })).backend("myapp").servers.size);
    assert.deepEqual([...counts.keys()], [lb1.name, lb2.name]);
    assert.deepEqual([...counts.values()], [3, 3]);
    const total = await cluster.reduce(async (m) => (await m.snapshot({ backend: "myapp" })).backend("myapp").capacity.serving, (a, n: number) => a + n, 0);
    assert.equal(total, 6);
  });

  it("reports which member failed in map, and keeps the others' results in mapSettled", async function () {
    const port = await refusedPort();
    const withDead = new Cluster([lb1, `tcp://127.0.0.1:${port}`]);
    const settled = await withDead.mapSettled((m) => m.snapshot());
    assert.equal(settled.get(lb1.name)!.ok, true);
    const dead = settled.get(`tcp://127.0.0.1:${port}`)!;
    assert.ok(!dead.ok && dead.error.code === "HC_MEMBER_UNREACHABLE");
    await assert.rejects(withDead.map((m) => m.snapshot()), (e: unknown) => e instanceof HcPartialFailure && e.failures.has(`tcp://127.0.0.1:${port}`) && e.succeeded.includes(lb1.name));
  });

  it("is rolling-restart safe only when every member agrees", async function () {
    assert.equal(await cluster.rollingRestartable("myapp"), true);
    // lb2 alone loses server2: 2/3 = 67% < 80% there, while lb1 still sees 3/3.
    await lb2.maint("myapp", "server2");
    const snap = await cluster.snapshot({ backend: "myapp" });
    assert.deepEqual(snap.capacity("myapp").get(lb1.name)!.serving, 3);
    assert.deepEqual(snap.capacity("myapp").get(lb2.name)!.serving, 2);
    assert.equal(snap.rollingRestartable("myapp"), false);
    assert.equal(snap.rollingRestartable("myapp", 60), true);
  });

  it("counts a member that cannot be read as unsafe", async function () {
    const port = await refusedPort();
    const withDead = new Cluster([lb1, `tcp://127.0.0.1:${port}`]);
    assert.equal(await withDead.rollingRestartable("myapp"), false);
  });

  it("waits for the required number of consecutive passing polls, starting over after a failing one", async function () {
    const verdicts = [true, true, false, true, true, true];
    let poll = 0;
    const seen: WaitProgress[] = [];
    // The same verdict for both members within a poll: count polls by member lb1's calls.
    const result = await cluster.waitUntil(
      (snap) => verdicts[snap.member === lb1.name ? poll++ : poll - 1] ?? true,
      { minChecks: 3, intervalSeconds: 0.05, timeoutSeconds: 10, snapshot: { backend: "myapp" }, onProgress: (p) => seen.push(p) },
    );
    assert.equal(result.polls, 6);
    assert.deepEqual(seen.map((p) => p.passes), [1, 2, 0, 1, 2, 3]);
    assert.deepEqual(seen[0]!.members.map((m) => m.member), [lb1.name, lb2.name]);
    assert.deepEqual(seen[0]!.members[0]!.backends, [{ name: "myapp", serving: 3, total: 3, percent: 100 }]);
  });

  it("keeps a hard deadline even when a member never answers, and names it", async function () {
    const hole = await startBlackhole();
    try {
      const silent = new Member(hole.url, { requestTimeoutSeconds: 30 });
      const withHole = new Cluster([lb1, silent]);
      const started = Date.now();
      const error = await withHole.waitUntil(() => true, { intervalSeconds: 0.1, timeoutSeconds: 1 }).catch((e: unknown) => e);
      const elapsed = Date.now() - started;
      assert.ok(error instanceof HcError && error.code === "HC_WAIT_DEADLINE", String(error));
      assert.ok(elapsed < 2500, `the 1 s deadline held (took ${elapsed} ms)`);
      await silent.close();
    } finally {
      await hole.close();
    }
  });

  it("fails closed at the deadline when a member cannot be read, listing it as unreadable", async function () {
    const port = await refusedPort();
    const withDead = new Cluster([lb1, `tcp://127.0.0.1:${port}`]);
    const error = await withDead.waitUntilRollingRestartable("myapp", { intervalSeconds: 0.1, timeoutSeconds: 0.5 }).catch((e: unknown) => e);
    assert.ok(error instanceof HcError && error.code === "HC_WAIT_DEADLINE");
    assert.deepEqual(error.details.unreadable, [`tcp://127.0.0.1:${port}`]);
    assert.match(error.message, /cannot be read/);
  });

  it("names the member and backend that held a wait back, with its last numbers", async function () {
    await lb2.maint("myapp", "server2");
    const error = await cluster.waitUntilRollingRestartable("myapp", { intervalSeconds: 0.1, timeoutSeconds: 0.5 }).catch((e: unknown) => e);
    assert.ok(error instanceof HcError && error.code === "HC_WAIT_DEADLINE");
    assert.match(error.message, new RegExp(`${lb2.name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: myapp 2/3 serving \\(66\\.7% < 80%\\)`));
    assert.ok(!error.message.includes(lb1.name), "lb1 did not hold it back");
    assert.deepEqual(error.details.unreadable, []);
  });

  it("ends a wait at once on an unknown backend", async function () {
    const started = Date.now();
    await assert.rejects(cluster.waitUntilRollingRestartable("nosuch", { timeoutSeconds: 30 }), (e: unknown) => e instanceof HcError && e.code === "HC_UNKNOWN_BACKEND");
    assert.ok(Date.now() - started < 5000);
  });

  it("logs state transitions between polls, per member", async function () {
    const transitions: Transition[] = [];
    const controller = new AbortController();
    let polls = 0;
    const polling = cluster.poll(
      (_snap, changes) => {
        polls++;
        transitions.push(...changes);
      },
      { intervalSeconds: 0.05, signal: controller.signal, snapshot: { backend: "myapp" } },
    );
    await waitFor("a first poll", () => (polls > 0 ? true : undefined));
    await lb1.maint("myapp", "server3");
    await waitFor("the transition to be logged", () => transitions.find((t) => t.member === lb1.name && t.server === "server3"), { timeoutMs: 5000 });
    controller.abort();
    await polling; // resolves on abort
    const t = transitions.find((x) => x.server === "server3")!;
    assert.equal(t.message, `${lb1.name} sees myapp/server3 go UP -> MAINT`);
    assert.ok(!transitions.some((x) => x.member === lb2.name && x.server === "server3"), "lb2 saw no change");
  });

  it("compares a member back after failed reads with its last good read: a restart shows as a reload, with what it undid", async function () {
    const transitions: Transition[] = [];
    const controller = new AbortController();
    let unreadable = false;
    let drainedSeen = false;
    await lb2.drain("myapp", "server2");
    const polling = cluster.poll(
      (snap, changes) => {
        if (snap.snapshots.get(lb2.name)?.backend("myapp").server("server2").admin === "drain") drainedSeen = true;
        if (snap.errors.has(lb2.name)) unreadable = true;
        transitions.push(...changes);
      },
      { intervalSeconds: 0.1, signal: controller.signal, snapshot: { backend: "myapp" } },
    );
    await waitFor("a poll to read the drain on lb2", () => (drainedSeen ? true : undefined));
    const oldPid = rig.lbs[1]!.pid;
    const newPid = await rig.lbs[1]!.restart({ whileDown: () => waitFor("a poll to find lb2 unreadable", () => (unreadable ? true : undefined)).then(() => undefined) });
    await waitFor("the undone drain to be logged", (note) => {
      note(transitions.map((t) => t.message).join("\n"));
      return transitions.find((t) => t.member === lb2.name && t.server === "server2");
    }, { timeoutMs: 10_000 });
    controller.abort();
    await polling;
    const mine = transitions.filter((t) => t.member === lb2.name).map((t) => t.message);
    const back = mine.indexOf(`${lb2.name} can be read again`);
    assert.ok(back >= 0, mine.join("\n"));
    assert.equal(mine[back + 1], `${lb2.name} reloaded: server states from its configuration (PID ${oldPid} -> ${newPid})`, mine.join("\n"));
    assert.ok(mine.slice(back + 2).some((m) => /sees myapp\/server2 go DRAIN -> UP/.test(m)), mine.join("\n"));
  });

  it("sums rates and sessions over members", async function () {
    // Held until released: with a fixed hold, both had to be open at one snapshot, which a loaded machine could miss.
    const held = rig.lbs.map((lb) => fetch(`${lb.frontendUrl}/hold?ms=120000`).then((r) => r.text()));
    const snap = await waitFor("both members to count a held session", async () => {
      const s = await cluster.snapshot();
      return s.sessions("myapp") >= 2 ? s : undefined;
    });
    const perMember = snap.perMember((s) => s.backend("myapp").sessions);
    assert.ok(perMember.get(lb1.name)! >= 1 && perMember.get(lb2.name)! >= 1);
    assert.equal(snap.sessions("myapp"), perMember.get(lb1.name)! + perMember.get(lb2.name)!);
    assert.equal(snap.backlog("myapp"), 0);
    await Promise.all(rig.apps.map((app) => app.releaseHeld()));
    await Promise.all(held);

    // Traffic through both frontends shows in the summed request rate (requests over the last second).
    const rated = await waitFor("the cluster's request rate to reach 10/s", async () => {
      await Promise.all(rig.lbs.flatMap((lb) => Array.from({ length: 5 }, () => fetch(`${lb.frontendUrl}/`).then((r) => r.text()))));
      const s = await cluster.snapshot({ types: ["frontend"] });
      return s.rate() >= 10 ? s : undefined;
    });
    const rates = rated.perMember((s) => [...s.frontends.values()].reduce((a, f) => a + (f.requestRate ?? 0), 0));
    assert.ok(rates.get(lb1.name)! > 0 && rates.get(lb2.name)! > 0, "both members saw requests");
    assert.equal(rated.rate(), rates.get(lb1.name)! + rates.get(lb2.name)!);

    const port = await refusedPort();
    await assert.rejects(new Cluster([lb1, `tcp://127.0.0.1:${port}`]).rate(), (e: unknown) => e instanceof HcPartialFailure, "a sum with a member missing is refused");
  });

  describe("server actions on every member", function () {
    it("drains on every member and reads the new state back", async function () {
      const report = await applyServerAction(cluster, "myapp", "server1", "drain", { wait: true, timeoutSeconds: 5 });
      assert.deepEqual(report.changed, [lb1.name, lb2.name]);
      assert.equal(report.waited, true);
      const snap = await cluster.snapshot({ backend: "myapp" });
      for (const be of snap.backend("myapp").values()) assert.equal(be.server("server1").admin, "drain");
    });

    it("reports a partial failure with where the server is drained, never success", async function () {
      const port = await refusedPort();
      const dead = `tcp://127.0.0.1:${port}`;
      // force: the capacity guard would refuse to act with a member unreadable (see capacity-guard.test).
      const error = await applyServerAction(new Cluster([lb1, dead]), "myapp", "server1", "drain", { force: true }).catch((e: unknown) => e);
      assert.ok(error instanceof HcPartialFailure, String(error));
      assert.deepEqual(error.succeeded, [lb1.name]);
      assert.ok(error.failures.has(dead));
      assert.match(error.message, new RegExp(`applied on ${lb1.name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} only`));
      assert.equal((await lb1.snapshot({ backend: "myapp" })).backend("myapp").server("server1").admin, "drain", "the record matches HAProxy");
    });

    it("puts a server back only on fresh checks, even after a restart faster than HAProxy can notice", async function () {
      const app = rig.apps[0]!;
      await applyServerAction(cluster, "myapp", "server1", "drain");
      // The new process answers 503 (to /check too) for 1.5 s: HAProxy's old UP verdict is stale.
      await app.restart({ warmupMs: 1500 });
      const report = await applyServerAction(cluster, "myapp", "server1", "ready", { wait: true, timeoutSeconds: 15, intervalSeconds: 0.05 });
      const state = await app.state();
      assert.equal(state.warming, false, "ready --wait returned only once the app had warmed up");
      assert.deepEqual(report.results.map((r) => r.forcedFreshChecks), [["server1"], ["server1"]]);
      const snap = await cluster.snapshot({ backend: "myapp" });
      for (const be of snap.backend("myapp").values()) assert.equal(be.server("server1").status.raw, "UP");
    });

    it("does not report a server back while its app fails its check", async function () {
      await applyServerAction(cluster, "myapp", "server2", "drain");
      await rig.apps[1]!.setReady(false);
      const error = await applyServerAction(cluster, "myapp", "server2", "ready", { wait: true, timeoutSeconds: 2, intervalSeconds: 0.1 }).catch((e: unknown) => e);
      assert.ok(error instanceof HcError && error.code === "HC_WAIT_DEADLINE", String(error));
      assert.match(error.message, /myapp\/server2 is DOWN/);
    });

    it("waits for an open session to end after a drain, and applies the stated choice at the deadline", async function () {
      // Only server3 takes new sessions on lb1, so the held request lands there.
      await lb1.drain("myapp", ["server1", "server2"]);
      // Held until released after the first wait's deadline: a fixed hold could end before it on a loaded machine.
      const held = fetch(`${rig.lbs[0]!.frontendUrl}/hold?ms=120000`).then((r) => r.status);
      await waitFor("the session to open", async () => ((await lb1.snapshot({ backend: "myapp" })).backend("myapp").server("server3").sessions === 1 ? true : undefined));
      await applyServerAction(cluster, "myapp", "server3", "drain", { force: true }); // the last serving server: past the guard on purpose
      await assert.rejects(waitForSessions(cluster, "myapp", "server3", { timeoutSeconds: 0.3, intervalSeconds: 0.05 }), (e: unknown) => e instanceof HcError && e.code === "HC_WAIT_DEADLINE" && /server3 has 1 sessions/.test(e.message));
      const waiting = waitForSessions(cluster, "myapp", "server3", { timeoutSeconds: 10, intervalSeconds: 0.05 });
      assert.equal(await rig.apps.find((a) => a.name === "server3")!.releaseHeld(), 1, "server3 held the request");
      const result = await waiting;
      assert.deepEqual(result, { drained: true });
      assert.equal(await held, 200, "the drained server finished its request");

      await lb1.ready("myapp", "server3");
      const held2 = fetch(`${rig.lbs[0]!.frontendUrl}/hold?ms=20000`).then((r) => r.status, () => 0);
      await waitFor("the second session to open", async () => ((await lb1.snapshot({ backend: "myapp" })).backend("myapp").server("server3").sessions === 1 ? true : undefined));
      await lb1.drain("myapp", "server3");
      const shut = await waitForSessions(cluster, "myapp", "server3", { timeoutSeconds: 0.3, intervalSeconds: 0.05, onTimeout: "shutdown" }); // the old spelling of onSessionsTimeout, still taken
      assert.equal(shut.deadlineAction, "shutdown");
      assert.equal(shut.remaining![lb1.name], 1);
      assert.notEqual(await held2, 200, "the remaining session was shut down");
    });
  });
});
