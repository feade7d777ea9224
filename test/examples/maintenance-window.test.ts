// examples/maintenance-window under Pulumi mocks (the resource it declares) and applied
// step by step to two real HAProxy members (the window opens, changes, and closes).

import { strict as assert } from "node:assert";
import path from "node:path";
import { startClusterWithStatsAuth, type Rig } from "../pulumi/helpers";
import { MiniEngine } from "./engine";
import { EXAMPLES_DIR, ofKind, outputsOf, runProgram, type MockRunResult } from "./harness";

const PASSWORD = "maintenance-stats-password";
const MEMBERS = ["http://127.0.0.1:8404/stats", "unix:/tmp/haproxy-cluster-demo/lb2.sock"];

function maintenanceWindow(config: Record<string, unknown>): Promise<MockRunResult> {
  return runProgram({
    program: "examples/maintenance-window/index.js",
    projectDir: "examples/maintenance-window",
    project: "haproxy-cluster-maintenance-window",
    config,
    secretKeys: ["statsPassword"],
  });
}

describe("examples/maintenance-window under Pulumi mocks", function () {
  it("declares one ServerDrain for the server, for as long as the resource exists (lifetime resource), leaving other settings to their defaults", async function () {
    const result = await maintenanceWindow({ members: MEMBERS, server: "server2" });
    const drains = ofKind(result, "ServerDrain");
    assert.equal(drains.length, 1);
    assert.equal(result.resources.filter((r) => r.custom).length, 1, "nothing else");
    const [drain] = drains;
    assert.equal(drain!.name, "maintenance");
    assert.equal(drain!.type, "pulumi-nodejs:dynamic/haproxy-cluster:ServerDrain");
    assert.deepEqual(drain!.inputs, { members: MEMBERS, backend: "myapp", server: "server2", lifetime: "resource" });
    assert.deepEqual(drain!.dependencies, []);
  });

  it("passes every drain setting from config", async function () {
    const settings = { mode: "maint", waitForSessions: true, sessionsTimeoutSeconds: 30, onSessionsTimeout: "shutdown", restoreTimeoutSeconds: 45, minOtherServing: 2, force: true };
    const result = await maintenanceWindow({ members: MEMBERS, server: "server2", backend: "api", statsUser: "ops", ...settings });
    const [drain] = ofKind(result, "ServerDrain");
    assert.deepEqual(drain!.inputs, { members: MEMBERS, backend: "api", server: "server2", lifetime: "resource", username: "ops", ...settings });
  });

  it("sends the stats password as a secret, kept secret in the resource's outputs and absent from the stack's", async function () {
    const result = await maintenanceWindow({ members: MEMBERS, server: "server2", statsPassword: PASSWORD });
    const [drain] = ofKind(result, "ServerDrain");
    assert.equal(drain!.inputs.password, PASSWORD);
    assert.deepEqual(drain!.secretInputs, ["password"]);
    assert.deepEqual(drain!.additionalSecretOutputs, ["password", "sshPrivateKey", "sshPassphrase"]);
    assert.ok(!JSON.stringify(outputsOf(result)).includes(PASSWORD));
  });

  it("exports where the server is out, its admin state per member and since when", async function () {
    const outputs = outputsOf(await maintenanceWindow({ members: MEMBERS, server: "server2" }));
    assert.deepEqual(outputs, {
      maintenance: true,
      backend: "myapp",
      server: "server2",
      drainedOn: MEMBERS,
      adminState: { [MEMBERS[0]!]: "drain", [MEMBERS[1]!]: "drain" },
      drainedAt: "2030-01-01T00:00:00.000Z",
    });
  });

  it("declares nothing with maintenance false, and exports that no member has the server out", async function () {
    const result = await maintenanceWindow({ members: MEMBERS, server: "server2", maintenance: false });
    assert.deepEqual(result.resources.filter((r) => r.custom), []);
    assert.deepEqual(outputsOf(result), { maintenance: false, backend: "myapp", server: "server2", drainedOn: [], adminState: {} });
  });

  it("fails, naming the key, without a server", async function () {
    const result = await maintenanceWindow({ members: MEMBERS });
    assert.match(result.error ?? "", /Missing required configuration variable .haproxy-cluster-maintenance-window:server./);
  });
});

describe("examples/maintenance-window applied to two real HAProxy members, step by step as pulumi up would", function () {
  this.timeout(120_000);
  let rig: Rig;
  let members: string[];
  let engine: MiniEngine;

  const up = async (extra: Record<string, unknown>) =>
    engine.up(await maintenanceWindow({ members, statsUser: "admin", statsPassword: PASSWORD, server: "server2", ...extra }));
  const statuses = async (server: string) => Promise.all(rig.lbs.map(async (lb) => (await lb.stat("myapp", server)).status));

  before(async function () {
    rig = await startClusterWithStatsAuth({ user: "admin", password: PASSWORD }, 2, 3);
    members = [rig.lbs[0]!.statsUrl, `unix:${rig.lbs[1]!.adminSocket}`];
    engine = new MiniEngine(path.join(EXAMPLES_DIR, "maintenance-window"));
  });
  after(async function () {
    await engine?.close();
    await rig?.stop();
  });

  it("opens the window: server2 drained on both members, the others untouched", async function () {
    await up({ waitForSessions: true, sessionsTimeoutSeconds: 10 });
    assert.deepEqual(engine.steps.map((s) => `${s.op} ${s.name}`), ["create maintenance"]);
    assert.deepEqual(await statuses("server2"), ["DRAIN", "DRAIN"]);
    assert.deepEqual(await statuses("server1"), ["UP", "UP"]);
    const outs = engine.state.get("maintenance")!.outputs;
    assert.deepEqual(outs.drainedOn, members);
    assert.deepEqual(outs.adminState, { [members[0]!]: "drain", [members[1]!]: "drain" });
  });

  it("changes the mode in place: maint on both members", async function () {
    await up({ mode: "maint" });
    assert.deepEqual(engine.steps.slice(-1).map((s) => `${s.op} ${s.name}`), ["update maintenance"]);
    assert.deepEqual(await statuses("server2"), ["MAINT", "MAINT"]);
  });

  it("closes the window with maintenance false: the resource is deleted and server2 is back UP everywhere, on fresh checks", async function () {
    await up({ mode: "maint", maintenance: false });
    assert.deepEqual(engine.steps.slice(-1).map((s) => `${s.op} ${s.name}`), ["delete maintenance"]);
    assert.deepEqual(await statuses("server2"), ["UP", "UP"], "delete returns once the server serves again");
    assert.equal(engine.state.size, 0);
  });
});
