// ClusterReadinessGate's provider methods and getClusterHealth's reader against two real
// HAProxy members in front of three apps.

import { strict as assert } from "node:assert";
import { readHealth, readinessGate } from "../../provider/pulumi/impl";
import type { ClusterHealth } from "../../provider/pulumi/impl";
import { refusedPort } from "../support/fake-members";
import { useRuntimeApiPair, rejection, restoreServing, statuses, waitForStatusEverywhere, type Rig } from "./helpers";
import { literally } from "../support/regexp";

type GateOuts = Record<string, unknown> & { passedAt: string; waitedSeconds: number; polls: number; health: ClusterHealth };


describe("ClusterReadinessGate and getClusterHealth against two real HAProxy members", function () {
  let rig: Rig;
  let lb1: string;
  let lb2: string;
  const props = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
    members: [lb1, lb2],
    backend: "myapp",
    minChecks: 2,
    intervalSeconds: 0.2,
    timeoutSeconds: 20,
    ...extra,
  });
  const create = async (extra: Record<string, unknown> = {}) => {
    const { id, outs } = await readinessGate.create(props(extra));
    return { id, outs: outs as GateOuts };
  };

  useRuntimeApiPair((started, unixMember, tcpMember) => {
    rig = started;
    lb1 = unixMember;
    lb2 = tcpMember;
  });
  afterEach(async function () {
    await restoreServing(rig);
  });

  describe("the gate", function () {
    it("passes on a healthy cluster after minChecks polls, recording when and the health per member and backend", async function () {
      const started = Date.now();
      const { id, outs } = await create({ minChecks: 3 });
      assert.match(id, /^myapp\//);
      assert.ok(Date.parse(outs.passedAt) >= started - 1000 && Date.parse(outs.passedAt) <= Date.now(), outs.passedAt);
      assert.ok(outs.polls >= 3, `polls ${outs.polls}`);
      assert.ok(outs.waitedSeconds >= 0.4 && outs.waitedSeconds < 10, `waited ${outs.waitedSeconds} s: 3 polls 0.2 s apart`);
      assert.equal(outs.thresholdPercent, 80, "inputs and defaults are repeated in the outputs");
      const health = outs.health;
      assert.equal(health.healthy, true);
      assert.deepEqual(health.members.map((m) => [m.member, m.ok]), [[lb1, true], [lb2, true]]);
      for (const member of health.members) {
        assert.equal(member.backends.length, 1);
        const be = member.backends[0]!;
        assert.deepEqual([be.name, be.serving, be.total, be.percent, be.rollingRestartable], ["myapp", 3, 3, 100, true]);
        assert.deepEqual(be.servers, ["server1", "server2", "server3"].map((name) => ({ name, status: "UP", admin: "ready", serving: true })));
      }
    });

    it("fails at its deadline when it cannot pass, naming each member and the backend with the numbers", async function () {
      await rig.apps[0]!.setReady(false);
      await waitForStatusEverywhere(rig, "server1", "DOWN");
      const started = Date.now();
      const error = await rejection(create({ timeoutSeconds: 2, intervalSeconds: 0.2 }));
      const elapsed = (Date.now() - started) / 1000;
      assert.equal(error.code, "HC_WAIT_DEADLINE");
      for (const member of [lb1, lb2]) {
        assert.match(error.message, new RegExp(`${literally(member)}: myapp 2/3 serving \\(66\\.7% < 80%\\)`));
      }
      assert.ok(elapsed >= 1.7 && elapsed <= 2.8, `the 2 s deadline held: took ${elapsed} s`);
      assert.equal(error.id, undefined, "a gate that did not pass leaves nothing in state");
    });

    it("puts readyServers back on fresh checks and returns only once the restarted app has warmed up and serves everywhere", async function () {
      const app = rig.apps[0]!;
      for (const lb of rig.lbs) await lb.runtime("set server myapp/server1 state drain");
      await app.restart({ warmupMs: 1500 });
      const restartedAt = Date.now();
      assert.equal((await app.state()).warming, true, "the new process answers 503 at first");
      const { outs } = await create({ readyServers: ["server1"], timeoutSeconds: 30 });
      const returnedAt = Date.now();
      // Checks fail until the warm-up is over: the gate may not return before it ends.
      assert.ok(returnedAt - restartedAt >= 1500, `the gate returned ${returnedAt - restartedAt} ms after the restart, inside the warm-up`);
      assert.equal((await app.state()).warming, false);
      assert.deepEqual(await statuses(rig, "server1"), ["UP", "UP"]);
      for (const member of outs.health.members) {
        assert.deepEqual(member.backends[0]!.servers[0], { name: "server1", status: "UP", admin: "ready", serving: true });
      }
    });

    it("puts readyServers back on fresh health checks, never on HAProxy's old verdict", async function () {
      for (const lb of rig.lbs) await lb.runtime("set server myapp/server1 state drain");
      const downsBefore = await Promise.all(rig.lbs.map(async (lb) => Number((await lb.stat("myapp", "server1")).chkdown)));
      await create({ readyServers: ["server1"], minChecks: 1 });
      const rows = await Promise.all(rig.lbs.map((lb) => lb.stat("myapp", "server1")));
      assert.deepEqual(rows.map((r) => r.status), ["UP", "UP"]);
      // The UP verdict from before the drain was forced down (one more UP→DOWN), so
      // server1 serves again only on checks made after the gate started.
      assert.deepEqual(rows.map((r, i) => Number(r.chkdown) - downsBefore[i]!), [1, 1]);
    });

    it("applies its defaults on check and tolerates preview's unknown values", function () {
      const { inputs, failures } = readinessGate.check({}, { members: [lb1], backend: "myapp" });
      assert.deepEqual(failures, []);
      assert.deepEqual(
        [inputs.thresholdPercent, inputs.minChecks, inputs.intervalSeconds, inputs.timeoutSeconds, inputs.readyServers],
        [80, 3, 2, 300, []],
      );
      const unknown = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
      const preview = readinessGate.check({}, { members: [lb1, unknown], backend: unknown, readyServers: [unknown], triggers: [unknown], timeoutSeconds: unknown });
      assert.deepEqual(preview.failures, []);
      assert.equal(preview.inputs.backend, unknown);
      assert.deepEqual(readinessGate.check({}, { members: [lb1], backend: "myapp", thresholdPercent: 120 }).failures.map((f) => f.property), ["thresholdPercent"]);
    });

    it("re-runs on a change of triggers as an update, never a replacement", function () {
      const olds = { ...readinessGate.check({}, props({ triggers: ["v1"] })).inputs, passedAt: "2025-01-01T00:00:00.000Z", polls: 3 };
      assert.deepEqual(readinessGate.diff("id", olds, props({ triggers: ["v2"] })), { changes: true, replaces: [] });
      assert.deepEqual(readinessGate.diff("id", olds, props({ triggers: ["v1"] })), { changes: false, replaces: [] });
      assert.deepEqual(readinessGate.diff("id", olds, props({ triggers: ["v1"], thresholdPercent: 90 })), { changes: true, replaces: [] });
    });

    it("waits again on update: it fails on an unhealthy cluster and passes, with a new passedAt, once it recovers", async function () {
      const { id, outs } = await create({ triggers: ["v1"] });
      await rig.apps[0]!.setReady(false);
      await waitForStatusEverywhere(rig, "server1", "DOWN");
      const error = await rejection(readinessGate.update(id, outs, props({ triggers: ["v2"], timeoutSeconds: 1 })));
      assert.equal(error.code, "HC_WAIT_DEADLINE");
      assert.match(error.message, /myapp 2\/3 serving/);

      await rig.apps[0]!.setReady(true);
      const updated = (await readinessGate.update(id, outs, props({ triggers: ["v2"] }))).outs as GateOuts;
      assert.ok(Date.parse(updated.passedAt) > Date.parse(outs.passedAt), `${updated.passedAt} after ${outs.passedAt}`);
      assert.ok(updated.polls >= 2);
      assert.deepEqual(updated.triggers, ["v2"]);
      assert.equal(updated.health.healthy, true);
      assert.deepEqual(await statuses(rig, "server1"), ["UP", "UP"]);
    });

    it("rejects inputs that are not complete on create, naming the property", async function () {
      const error = await rejection(create({ thresholdPercent: 180 }));
      assert.equal(error.code, "HC_BAD_SPEC");
      assert.match(error.message, /thresholdPercent/);
    });
  });

  describe("getClusterHealth's reader", function () {
    it("reports real numbers per member and backend, and each server's state", async function () {
      await rig.lbs[1]!.runtime("set server myapp/server2 state maint");
      const health = await readHealth({ members: [lb1, lb2] });
      assert.ok(Math.abs(Date.parse(health.takenAt) - Date.now()) < 10_000);
      assert.equal(health.healthy, false, "lb2 is below 80%");
      const [one, two] = health.members;
      assert.deepEqual([one!.member, one!.ok, two!.member, two!.ok], [lb1, true, lb2, true]);
      // Only backends with servers: not the frontend, not the stats listener.
      assert.deepEqual(one!.backends.map((b) => b.name), ["myapp"]);
      const a = one!.backends[0]!;
      const b = two!.backends[0]!;
      assert.deepEqual([a.serving, a.total, a.percent, a.rollingRestartable], [3, 3, 100, true]);
      assert.deepEqual([b.serving, b.total, b.rollingRestartable], [2, 3, false]);
      assert.ok(Math.abs(b.percent - 66.67) < 0.01, String(b.percent));
      assert.deepEqual(b.servers[1], { name: "server2", status: "MAINT", admin: "maint", serving: false });
      for (const be of [a, b]) {
        assert.equal(be.backlog, 0);
        assert.equal(be.sessions, 0);
        assert.equal(typeof be.rate, "number");
      }
      const restricted = await readHealth({ members: [lb1], backends: ["myapp"], __provider: "ignored" });
      assert.equal(restricted.healthy, true);
    });

    it("does not call a backend with every server out healthy, though it is rolling-restart safe", async function () {
      for (const lb of rig.lbs) for (const sv of ["server1", "server2", "server3"]) await lb.runtime(`set server myapp/${sv} state maint`);
      const health = await readHealth({ members: [lb1, lb2], backends: ["myapp"] });
      assert.equal(health.healthy, false);
      assert.deepEqual(health.members.map((m) => [m.backends[0]!.serving, m.backends[0]!.rollingRestartable]), [[0, true], [0, true]]);
    });

    it("reports a member that cannot be read with its error, and calls the cluster unhealthy", async function () {
      const dead = `tcp://127.0.0.1:${await refusedPort()}`;
      const health = await readHealth({ members: [lb1, dead], backends: ["myapp"] });
      assert.equal(health.healthy, false);
      assert.deepEqual(health.members.map((m) => [m.member, m.ok]), [[lb1, true], [dead, false]]);
      const bad = health.members[1]!;
      assert.ok(bad.error && bad.error.includes(dead), bad.error);
      assert.match(bad.error!, /refused|unreachable/i);
      assert.deepEqual(bad.backends, []);
      assert.equal(health.members[0]!.backends[0]!.serving, 3);
    });
  });
});
