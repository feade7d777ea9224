// examples/cluster-health under Pulumi mocks against two real HAProxy members: no
// resources, only outputs, with the real numbers of the cluster.

import { strict as assert } from "node:assert";
import { startClusterWithStatsAuth, type Rig } from "../pulumi/helpers";
import { refusedPort } from "../support/fake-members";
import { fixturePath } from "../stats/fixtures";
import { outputsOf, runProgram, type MockRunResult } from "./harness";

const PASSWORD = "health-stats-password";

function clusterHealth(config: Record<string, unknown>): Promise<MockRunResult> {
  return runProgram({
    program: "examples/cluster-health/index.js",
    projectDir: "examples/cluster-health",
    project: "haproxy-cluster-cluster-health",
    config,
    secretKeys: ["statsPassword"],
  });
}

describe("examples/cluster-health under Pulumi mocks, reading two real HAProxy members", function () {
  let rig: Rig;
  let members: string[];
  const config = (extra: Record<string, unknown> = {}) => ({ members, statsUser: "admin", statsPassword: PASSWORD, ...extra });

  before(async function () {
    rig = await startClusterWithStatsAuth({ user: "admin", password: PASSWORD }, 2, 3);
    members = [rig.lbs[0]!.statsUrl, `unix:${rig.lbs[1]!.adminSocket}`];
  });
  after(async function () {
    await rig?.stop();
  });

  it("declares no resource and exports the cluster's health: every server of myapp serving on both members", async function () {
    const result = await clusterHealth(config());
    assert.deepEqual(result.resources.map((r) => r.type), ["pulumi:pulumi:Stack"], "nothing but the stack itself");
    const outputs = outputsOf(result);
    assert.deepEqual(
      { healthy: outputs.healthy, membersRead: outputs.membersRead, unreadable: outputs.unreadable, minPercentByBackend: outputs.minPercentByBackend, servingEverywhere: outputs.servingEverywhere },
      { healthy: true, membersRead: 2, unreadable: {}, minPercentByBackend: { myapp: 100 }, servingEverywhere: { myapp: ["server1", "server2", "server3"] } },
    );
    assert.deepEqual(outputs.health.members.map((m: { member: string; ok: boolean }) => [m.member, m.ok]), [[members[0], true], [members[1], true]]);
    for (const member of outputs.health.members) {
      const [be] = member.backends;
      assert.deepEqual([be.name, be.serving, be.total, be.percent, be.rollingRestartable], ["myapp", 3, 3, 100, true]);
    }
    assert.equal(outputs.takenAt, outputs.health.takenAt);
    assert.ok(Math.abs(Date.parse(outputs.takenAt) - Date.now()) < 60_000, `taken just now: ${outputs.takenAt}`);
  });

  it("keeps the password out of the outputs, which are not secret", async function () {
    const result = await clusterHealth(config());
    assert.deepEqual(result.secretOutputs, []);
    assert.ok(!JSON.stringify(result.outputs).includes(PASSWORD));
  });

  it("reports the lowest share per backend and the servers serving everywhere when one member has a server in maintenance", async function () {
    const lb1 = rig.lbs[0]!;
    await lb1.runtime("set server myapp/server1 state maint");
    try {
      const outputs = outputsOf(await clusterHealth(config()));
      assert.equal(outputs.healthy, false, "2 of 3 is below the 80% a rolling restart needs");
      assert.deepEqual(outputs.minPercentByBackend, { myapp: 66.7 }, "2 of 3 on lb1, to one decimal");
      assert.deepEqual(outputs.servingEverywhere, { myapp: ["server2", "server3"] });
      assert.deepEqual(outputs.health.members.map((m: { backends: Array<{ serving: number }> }) => m.backends[0]!.serving), [2, 3]);
    } finally {
      await lb1.runtime("set server myapp/server1 state ready");
      await lb1.waitForStatus("myapp", "server1", (s) => s === "UP", 15_000);
    }
  });

  it("names a member it cannot read, with the reason, and is then not healthy", async function () {
    const unreachable = `tcp://127.0.0.1:${await refusedPort()}`;
    const outputs = outputsOf(await clusterHealth(config({ members: [...members, unreachable] })));
    assert.equal(outputs.healthy, false);
    assert.equal(outputs.membersRead, 2);
    assert.deepEqual(Object.keys(outputs.unreadable), [unreachable]);
    assert.match(outputs.unreadable[unreachable], /refused|ECONNREFUSED/i);
    assert.deepEqual(outputs.minPercentByBackend, { myapp: 100 }, "the members read still count");
  });

  it("reports a wrong stats password as that member being unreadable, not as a failed program", async function () {
    const outputs = outputsOf(await clusterHealth(config({ statsPassword: "wrong" })));
    assert.equal(outputs.healthy, false);
    assert.deepEqual(Object.keys(outputs.unreadable), [members[0]]);
    assert.match(outputs.unreadable[members[0]!], /401|auth|password/i);
  });

  it("reads a saved CSV through a file: member (read-only) like any other", async function () {
    const csv = `file:${fixturePath("haproxy-2.6/lb1-show-stat.csv")}`;
    const outputs = outputsOf(await clusterHealth({ members: [csv], backends: ["myapp"] }));
    assert.deepEqual(
      { healthy: outputs.healthy, membersRead: outputs.membersRead, minPercentByBackend: outputs.minPercentByBackend, servingEverywhere: outputs.servingEverywhere },
      { healthy: true, membersRead: 1, minPercentByBackend: { myapp: 100 }, servingEverywhere: { myapp: ["server1", "server2", "server3"] } },
    );
    assert.equal(outputs.health.members[0].member, csv);
  });
});
