// examples/cluster-health with real `pulumi up` against two HAProxy members (stats pages
// with a password): the stack outputs carry the numbers HAProxy really shows.
import { strict as assert } from "node:assert";
import path from "node:path";
import { createStack, type TestStack } from "../support/pulumi-stack";
import {
  BACKEND,
  EXAMPLES_DIR,
  SETUP_TIMEOUT_MS,
  STATS_USER,
  appSpecs,
  newPassword,
  operationsByResource,
  prepareProjects,
  runtimeAction,
  startApps,
  startPair,
  statuses,
  waitAllUp,
  type AppFleet,
  type AppSpec,
  type Pair,
} from "./helpers";

interface HealthOutput {
  takenAt: string;
  healthy: boolean;
  members: Array<{
    member: string;
    ok: boolean;
    error?: string;
    backends: Array<{ name: string; serving: number; total: number; percent: number; rollingRestartable: boolean; servers: Array<{ name: string; status: string; admin: string; serving: boolean }> }>;
  }>;
}

describe("e2e: examples/cluster-health, pulumi up against two real HAProxy members", function () {
  this.timeout(300_000);
  const password = newPassword();
  let apps: AppSpec[];
  let fleet: AppFleet;
  let pair: Pair;
  let stack: TestStack;

  before(async function () {
    this.timeout(SETUP_TIMEOUT_MS);
    await prepareProjects(path.join(EXAMPLES_DIR, "cluster-health"));
    apps = await appSpecs();
    fleet = await startApps(apps, "v1", "health");
    pair = await startPair(apps, password);
    await waitAllUp(pair, apps);
    stack = await createStack({
      projectDir: path.join(EXAMPLES_DIR, "cluster-health"),
      label: "health",
      config: { members: pair.members, statsUser: STATS_USER },
      secrets: { statsPassword: password },
    });
  });

  after(async function () {
    try {
      await stack?.cleanup();
    } finally {
      await pair?.stop();
      await fleet?.stop();
    }
  });

  /** The health output's servers, as `status` per member and server, to compare with the rig's own `show stat`. */
  async function rigStatuses(): Promise<Array<[string, string, string]>> {
    const out: Array<[string, string, string]> = [];
    for (const [i, member] of pair.members.entries()) {
      for (const app of apps) out.push([member, app.name, (await pair.lbs[i]!.stat(BACKEND, app.name)).status]);
    }
    return out;
  }
  const reported = (health: HealthOutput): Array<[string, string, string]> =>
    health.members.flatMap((m) => m.backends[0]!.servers.map((s): [string, string, string] => [m.member, s.name, s.status]));

  it("up exports the health of a healthy cluster with real numbers: 3/3 serving, 100 % on each member, healthy", async function () {
    const started = Date.now();
    const up = await stack.up();
    assert.deepEqual(operationsByResource(up.record.events), {}, "it declares no resource");
    const outputs = await stack.outputs();
    assert.equal(outputs.healthy, true);
    assert.equal(outputs.membersRead, 2);
    assert.deepEqual(outputs.unreadable, {});
    assert.deepEqual(outputs.minPercentByBackend, { [BACKEND]: 100 });
    assert.deepEqual(outputs.servingEverywhere, { [BACKEND]: ["server1", "server2", "server3"] });
    const health = outputs.health as HealthOutput;
    assert.equal(health.healthy, true);
    assert.ok(Date.parse(health.takenAt) >= started - 1_000 && Date.parse(health.takenAt) <= Date.now(), `takenAt ${health.takenAt} is during the up`);
    assert.deepEqual(
      health.members.map((m) => [m.member, m.ok, m.backends.map((b) => [b.name, b.serving, b.total, b.percent, b.rollingRestartable])]),
      pair.members.map((m) => [m, true, [[BACKEND, 3, 3, 100, true]]]),
    );
    for (const m of health.members) assert.deepEqual(m.backends[0]!.servers.map((s) => [s.name, s.admin, s.serving]), apps.map((a) => [a.name, "ready", true]));
    assert.deepEqual(reported(health), await rigStatuses());
  });

  it("after server3 is drained by hand on lb1, up reports it: 2/3 (66.7 %) on lb1, healthy false, server3 no longer serving everywhere", async function () {
    const lb1 = pair.lbs[0]!;
    await runtimeAction(lb1, `set server ${BACKEND}/server3 state drain`);
    try {
      assert.deepEqual(await statuses(pair, "server3"), ["DRAIN", "UP"]);
      await stack.up();
      const outputs = await stack.outputs();
      assert.equal(outputs.healthy, false);
      assert.equal(outputs.membersRead, 2);
      assert.deepEqual(outputs.minPercentByBackend, { [BACKEND]: 66.7 });
      assert.deepEqual(outputs.servingEverywhere, { [BACKEND]: ["server1", "server2"] });
      const health = outputs.health as HealthOutput;
      const [onLb1, onLb2] = health.members;
      assert.deepEqual([onLb1!.backends[0]!.serving, onLb1!.backends[0]!.total, onLb1!.backends[0]!.percent.toFixed(1)], [2, 3, "66.7"]);
      assert.deepEqual(onLb1!.backends[0]!.servers[2], { name: "server3", status: "DRAIN", admin: "drain", serving: false });
      assert.deepEqual([onLb2!.backends[0]!.serving, onLb2!.backends[0]!.total, onLb2!.backends[0]!.percent], [3, 3, 100]);
      assert.deepEqual(reported(health), await rigStatuses());
    } finally {
      await runtimeAction(lb1, `set server ${BACKEND}/server3 state ready`);
      await lb1.waitForStatus(BACKEND, "server3", (s) => s === "UP");
    }
  });
});
