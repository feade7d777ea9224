// The plugin's provider object, called as the Node provider server calls it (property bags
// as the engine sends them, secrets wrapped), against two real HAProxy members whose stats
// pages need a password: it reaches the same implementation as the dynamic resources, and
// every bag it hands back keeps the password wrapped as a secret, partial failures included.
import { strict as assert } from "node:assert";
import { randomBytes } from "node:crypto";
import util from "node:util";
import { specialSecretSig, specialSigKey, unknownValue } from "@pulumi/pulumi/runtime/rpc";
import { HaproxyClusterProvider } from "../../provider/plugin/provider";
import { rejection, restoreServing, startClusterWithStatsAuth, statuses, type Rig } from "../pulumi/helpers";
import { RUN_ON } from "./helpers";

const USER = "admin";
const PASSWORD = `pw-${randomBytes(9).toString("hex")}`;
const WRONG = `wrong-${randomBytes(9).toString("hex")}`;
const DRAIN_URN = "urn:pulumi:dev::proj::haproxy-cluster:index:ServerDrain::window";
const GATE_URN = "urn:pulumi:dev::proj::haproxy-cluster:index:ClusterReadinessGate::gate";

const secret = (value: unknown) => ({ [specialSigKey]: specialSecretSig, value });
const isSecret = (value: unknown, plain: string) => {
  const v = value as Record<string, unknown>;
  return !!v && v[specialSigKey] === specialSecretSig && v.value === plain;
};

/** The bag other than its password holds neither password in any form. */
function assertPasswordOnlyWrapped(bag: Record<string, unknown>, what: string, password = PASSWORD): void {
  assert.ok(isSecret(bag.password, password), `${what}: the password is returned wrapped as a secret: ${JSON.stringify(bag.password)?.slice(0, 80)}`);
  const { password: _p, ...rest } = bag;
  const text = JSON.stringify(rest);
  for (const pw of [PASSWORD, WRONG]) assert.ok(!text.includes(pw), `${what}: other properties hold a password`);
}

describe(`plugin: the provider object against two real HAProxy members (${RUN_ON})`, function () {
  const provider = new HaproxyClusterProvider("0.0.0-test");
  let rig: Rig;
  let members: string[];
  const drainInputs = (extra: Record<string, unknown> = {}) => ({ members, username: USER, password: secret(PASSWORD), backend: "myapp", server: "server2", ...extra });

  before(async function () {
    rig = await startClusterWithStatsAuth({ user: USER, password: PASSWORD });
    members = rig.lbs.map((lb) => lb.statsUrl);
  });
  after(async function () {
    await rig?.stop();
  });
  afterEach(async function () {
    await restoreServing(rig);
  });

  it("check applies the defaults, keeps the password a secret, tolerates preview's unknowns, and names a misspelt input without its value", async function () {
    const checked = await provider.check(DRAIN_URN, {}, drainInputs());
    assert.deepEqual(checked.failures, []);
    assert.equal(checked.inputs.mode, "drain");
    assert.equal(checked.inputs.minOtherServing, 1);
    assertPasswordOnlyWrapped(checked.inputs, "check");
    // A password given in plain (a YAML literal, a Go string) is made a secret all the same.
    assertPasswordOnlyWrapped((await provider.check(DRAIN_URN, {}, drainInputs({ password: PASSWORD }))).inputs, "check of a plain password");

    const preview = await provider.check(DRAIN_URN, {}, drainInputs({ server: unknownValue }));
    assert.deepEqual(preview.failures, []);
    assert.equal(preview.inputs.server, unknownValue);

    const misspelt = await provider.check(DRAIN_URN, {}, drainInputs({ sessionTimeoutSeconds: 5 }));
    assert.equal(misspelt.failures?.length, 1);
    assert.match(misspelt.failures![0]!.reason, /unknown input sessionTimeoutSeconds/);
    const secretUrl = await provider.check(DRAIN_URN, {}, drainInputs({ members: [members[0]!.replace("http://", `http://${USER}:${PASSWORD}@`)] }));
    assert.deepEqual(secretUrl.failures?.map((f) => f.property), [""], "a member URL with a password is refused without naming the property (the engine would print its value)");
    assert.ok(!JSON.stringify(secretUrl.failures).includes(PASSWORD));
  });

  it("refuses a type it does not serve by name", async function () {
    const refused = await rejection(provider.check("urn:pulumi:dev::proj::haproxy-cluster:index:RollingDeploy::x", {}, {}));
    assert.match(refused.message, /no resource type haproxy-cluster:index:RollingDeploy; it serves haproxy-cluster:index:ServerDrain, haproxy-cluster:index:ClusterReadinessGate/);
    const unknownFn = await rejection(provider.invoke("haproxy-cluster:index:getNothing", {}));
    assert.match(unknownFn.message, /no function haproxy-cluster:index:getNothing/);
  });

  it("ServerDrain: create drains server2 on both members, read and update keep the password wrapped, delete puts it back on fresh checks", async function () {
    const { inputs } = await provider.check(DRAIN_URN, {}, drainInputs());
    const created = await provider.create(DRAIN_URN, inputs);
    assert.deepEqual(await statuses(rig, "server2"), ["DRAIN", "DRAIN"]);
    assertPasswordOnlyWrapped(created.outs, "create");
    assert.deepEqual(created.outs.drainedOn, members);

    await rig.lbs[1]!.runtime("set server myapp/server2 state ready");
    await rig.lbs[1]!.waitForStatus("myapp", "server2", (s) => s === "UP");
    const read = await provider.read(created.id, DRAIN_URN, created.outs);
    assertPasswordOnlyWrapped(read.props, "read");
    assert.deepEqual(read.props.drainedOn, [members[0]], "refresh sees the drift");
    const diff = await provider.diff(created.id, DRAIN_URN, read.props, inputs);
    assert.equal(diff.changes, true, "the next up repairs it");
    const updated = await provider.update(created.id, DRAIN_URN, read.props, inputs);
    assertPasswordOnlyWrapped(updated.outs, "update");
    assert.deepEqual(await statuses(rig, "server2"), ["DRAIN", "DRAIN"]);

    await provider.delete(created.id, DRAIN_URN, updated.outs);
    assert.deepEqual(await statuses(rig, "server2"), ["UP", "UP"]);
  });

  it("a partial failure keeps its record with the password wrapped, and the error shows no password", async function () {
    const { inputs } = await provider.check(DRAIN_URN, {}, drainInputs({ password: secret(WRONG), force: true }));
    const failed = await rejection(provider.create(DRAIN_URN, inputs));
    assert.match(failed.message, /401/);
    assert.equal(typeof failed.id, "string", "the engine keeps a record (ErrorResourceInitFailed)");
    const record = failed.properties as Record<string, unknown>;
    assertPasswordOnlyWrapped(record, "the partial failure's record", WRONG);
    assert.equal("__provider" in record, false);
    assert.deepEqual(record.drainedOn, []);
    for (const text of [failed.message, String(failed.stack), util.inspect(failed, { depth: 10 }), JSON.stringify(failed)]) assert.ok(!text.includes(WRONG), text);
    assert.deepEqual(await statuses(rig, "server2"), ["UP", "UP"]);
  });

  it("the capacity guard refuses to drain the last serving servers, with no record", async function () {
    const { inputs } = await provider.check(DRAIN_URN, {}, drainInputs({ minOtherServing: 3 }));
    const refused = await rejection(provider.create(DRAIN_URN, inputs));
    assert.equal(refused.code, "HC_CAPACITY_GUARD");
    assert.equal(refused.id, undefined);
    assert.deepEqual(await statuses(rig, "server2"), ["UP", "UP"]);
  });

  it("ClusterReadinessGate and getClusterHealth read through a wrapped password; the health is not secret and holds none", async function () {
    const { inputs } = await provider.check(GATE_URN, {}, { members, username: USER, password: secret(PASSWORD), backend: "myapp", minChecks: 1, intervalSeconds: 0.2, timeoutSeconds: 20 });
    const gate = await provider.create(GATE_URN, inputs);
    assertPasswordOnlyWrapped(gate.outs, "gate create");
    assert.equal((gate.outs.health as { healthy: boolean }).healthy, true);

    const health = await provider.invoke("haproxy-cluster:index:getClusterHealth", { members, username: USER, password: secret(PASSWORD) });
    const outputs = health.outputs as { healthy: boolean; members: Array<{ ok: boolean }> };
    assert.equal(outputs.healthy, true);
    assert.deepEqual(outputs.members.map((m) => m.ok), [true, true]);
    assert.ok(!JSON.stringify(outputs).includes(PASSWORD));
  });
});
