// The stats password through the Pulumi resources: a secret input that comes back only
// as the `password` output (kept secret by the resource), and nowhere else — not in the
// serialized provider, not in other outputs, not in error messages or inspected errors.
// Two real HAProxy members whose stats pages share one known password, reached over HTTP.

import { strict as assert } from "node:assert";
import { randomBytes } from "node:crypto";
import util from "node:util";
import * as pulumi from "@pulumi/pulumi";
import { readHealth, readinessGate, serverDrain } from "../../provider/pulumi/impl";
import { readinessGateProvider, serverDrainProvider } from "../../provider/pulumi/providers";
import { ClusterReadinessGate, ServerDrain } from "../../provider/pulumi";
import { rejection, restoreServing, startClusterWithStatsAuth, statuses, type Rig } from "./helpers";

const USER = "admin";
const PASSWORD = `pw-${randomBytes(9).toString("hex")}`;
const WRONG_PASSWORD = `wrong-${randomBytes(9).toString("hex")}`;
/** Every form in which a password could leak: as is, URL-encoded, inside a Basic header. */
const leaks = (password: string): string[] => [password, encodeURIComponent(password), Buffer.from(`${USER}:${password}`).toString("base64")];

function assertNoPassword(text: string, what: string, passwords: string[] = [PASSWORD, WRONG_PASSWORD]): void {
  for (const password of passwords) {
    for (const form of leaks(password)) assert.ok(!text.includes(form), `${what} holds the password (${form === password ? "plain" : "encoded"}):\n${text}`);
  }
}

/** Outputs as the engine stores them: everything but `password` (which it encrypts) must be free of it. */
function assertOnlyInPasswordOutput(outs: Record<string, unknown>, what: string, password = PASSWORD): void {
  const { password: kept, ...rest } = outs;
  assert.equal(kept, password, `${what}: the password output is kept, so that delete and refresh can reach the members`);
  assertNoPassword(JSON.stringify(rest), `${what} (outputs other than password)`);
}

function assertErrorClean(error: Error, what: string): void {
  assertNoPassword(error.message, `${what}: the message`);
  assertNoPassword(String(error.stack), `${what}: the stack`);
  assertNoPassword(util.inspect(error, { depth: 10 }), `${what}: util.inspect`);
  assertNoPassword(JSON.stringify(error), `${what}: JSON`);
}

describe("the stats password", function () {
  let rig: Rig;
  let members: string[];
  const drainProps = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
    members,
    username: USER,
    password: PASSWORD,
    backend: "myapp",
    server: "server1",
    __provider: "exports.handler = () => ({});",
    ...extra,
  });

  before(async function () {
    rig = await startClusterWithStatsAuth({ user: USER, password: PASSWORD });
    // The stats pages, by URL without credentials: the password travels only in `password`.
    members = rig.lbs.map((lb) => lb.statsUrl);
  });
  after(async function () {
    await rig?.stop();
  });
  afterEach(async function () {
    await restoreServing(rig);
  });

  it("is absent from the serialized providers, also after they ran with it", async function () {
    const { id, outs } = await serverDrain.create(drainProps());
    await serverDrain.remove(id, outs);
    process.env.HAPROXY_CLUSTER_PASSWORD = PASSWORD;
    try {
      for (const provider of [serverDrainProvider, readinessGateProvider]) {
        const serialized = await pulumi.runtime.serializeFunction(() => provider, { allowSecrets: true });
        assert.equal(serialized.containsSecrets, false);
        assertNoPassword(serialized.text, "the serialized provider");
      }
    } finally {
      delete process.env.HAPROXY_CLUSTER_PASSWORD;
    }
  });

  it("comes back from create, read and update of a ServerDrain only as the password output", async function () {
    const created = await serverDrain.create(drainProps());
    assert.deepEqual(await statuses(rig, "server1"), ["DRAIN", "DRAIN"], "the password reached both stats pages");
    assertOnlyInPasswordOutput(created.outs, "create");

    const read = await serverDrain.read(created.id, created.outs);
    assertOnlyInPasswordOutput(read.props, "read");
    assert.deepEqual(read.props.drainedOn, members);

    const updated = await serverDrain.update(created.id, read.props, drainProps({ members: [members[0]] }));
    assertOnlyInPasswordOutput(updated.outs, "update");
    assert.deepEqual(await statuses(rig, "server1"), ["DRAIN", "UP"]);

    await serverDrain.remove(created.id, updated.outs);
    assert.deepEqual(await statuses(rig, "server1"), ["UP", "UP"]);
  });

  it("comes back from the readiness gate only as the password output, and never in the health report", async function () {
    const props = { members, username: USER, password: PASSWORD, backend: "myapp", minChecks: 1, intervalSeconds: 0.2, timeoutSeconds: 20 };
    const created = await readinessGate.create(props);
    assertOnlyInPasswordOutput(created.outs, "gate create");
    const updated = await readinessGate.update(created.id, created.outs, { ...props, triggers: ["v2"] });
    assertOnlyInPasswordOutput(updated.outs, "gate update");
    const health = await readHealth({ members, username: USER, password: PASSWORD });
    assert.equal(health.healthy, true);
    assertNoPassword(JSON.stringify(health), "getClusterHealth");
  });

  it("is named in no error: a wrong password fails with the 401 and the member, and nothing changes", async function () {
    const wrong = drainProps({ password: WRONG_PASSWORD });
    const guarded = await rejection(serverDrain.create(wrong));
    assert.equal(guarded.code, "HC_AUTH_FAILED");
    assert.match(guarded.message, /401/);
    assert.ok(guarded.message.includes(members[0]!), guarded.message);
    assertErrorClean(guarded, "create refused by the guard");
    assert.deepEqual(await statuses(rig, "server1"), ["UP", "UP"]);

    // Past the guard, the action itself fails on both members: a partial failure whose
    // record (the state to keep) has the password only where the resource encrypts it.
    const forced = await rejection(serverDrain.create({ ...wrong, force: true }));
    assert.match(forced.message, /401/);
    assertErrorClean(forced, "forced create");
    assertOnlyInPasswordOutput(forced.properties as Record<string, unknown>, "partial failure record", WRONG_PASSWORD);
    assert.deepEqual((forced.properties as Record<string, unknown>).drainedOn, []);
    assert.deepEqual(await statuses(rig, "server1"), ["UP", "UP"]);

    const created = await serverDrain.create(drainProps());
    const readError = await rejection(serverDrain.read(created.id, { ...created.outs, password: WRONG_PASSWORD }));
    assertErrorClean(readError, "read");
    const deleteError = await rejection(serverDrain.remove(created.id, { ...created.outs, password: WRONG_PASSWORD }));
    assertErrorClean(deleteError, "delete");
    await serverDrain.remove(created.id, created.outs);

    const gateError = await rejection(readinessGate.create({ members, username: USER, password: WRONG_PASSWORD, backend: "myapp", intervalSeconds: 0.2, timeoutSeconds: 1 }));
    // Refused credentials will not cure by waiting: the gate ends at once.
    assert.equal(gateError.code, "HC_AUTH_FAILED");
    assert.match(gateError.message, /401/);
    assertErrorClean(gateError, "gate create");

    const health = await readHealth({ members, username: USER, password: WRONG_PASSWORD });
    assert.equal(health.healthy, false);
    assert.match(String(health.members[0]!.error), /401/);
    assertNoPassword(JSON.stringify(health), "getClusterHealth with a wrong password");
  });

  it("never appears in a member URL: a URL holding it is refused by check", function () {
    const url = members[0]!.replace("http://", `http://${USER}:${PASSWORD}@`);
    const { failures } = serverDrain.check({}, drainProps({ members: [url] }));
    // Named in the reason, not as the property: the engine prints a named property's value.
    assert.deepEqual(failures.map((f) => [f.property, f.reason.split(":")[0]]), [["", "members"]]);
    assertNoPassword(JSON.stringify(failures), "check failures");
  });

  describe("in the resource classes (under pulumi.runtime.setMocks)", function () {
    interface Registered {
      type: string;
      inputs: Record<string, unknown>;
      additionalSecretOutputs: string[];
    }
    const registered = new Map<string, Registered>();
    const waiting = new Map<string, () => void>();

    before(async function () {
      await pulumi.runtime.setMocks(
        {
          newResource: (args) => ({ id: `${args.name}-id`, state: args.inputs }),
          call: (args) => args.inputs,
        },
        "secrets-test",
        "dev",
      );
      // The mock hands newResource only type, name and inputs; the resource options
      // travel in the request, so read them there.
      const settings = require("@pulumi/pulumi/runtime/settings") as { getMonitor(): { registerResource(req: unknown, cb: unknown): unknown } };
      const rpc = require("@pulumi/pulumi/runtime/rpc") as { deserializeProperties(s: unknown): Record<string, unknown> };
      const monitor = settings.getMonitor();
      const original = monitor.registerResource.bind(monitor);
      monitor.registerResource = (req: unknown, cb: unknown) => {
        const r = req as { getName(): string; getType(): string; getObject(): unknown; getAdditionalsecretoutputsList(): string[] };
        registered.set(r.getName(), { type: r.getType(), inputs: rpc.deserializeProperties(r.getObject()), additionalSecretOutputs: r.getAdditionalsecretoutputsList() });
        waiting.get(r.getName())?.();
        return original(req, cb);
      };
    });

    const registration = (name: string): Promise<Registered> =>
      registered.has(name) ? Promise.resolve(registered.get(name)!) : new Promise((resolve) => waiting.set(name, () => resolve(registered.get(name)!)));

    /** A secret as the monitor receives it: wrapped with Pulumi's secret signature. */
    const isSecretValue = (value: unknown, plain: string): boolean => {
      const v = value as Record<string, unknown>;
      return !!v && v[pulumi.runtime.specialSigKey] === pulumi.runtime.specialSecretSig && v.value === plain;
    };

    it("ServerDrain sends a plain password as a secret input and asks for the password output to be secret", async function () {
      const seen = registration("drain");
      new ServerDrain("drain", { members, username: USER, password: PASSWORD, backend: "myapp", server: "server1" }, { additionalSecretOutputs: ["adminState"] });
      const { type, inputs, additionalSecretOutputs } = await seen;
      assert.equal(type, "pulumi-nodejs:dynamic/haproxy-cluster:ServerDrain");
      assert.deepEqual([...additionalSecretOutputs].sort(), ["adminState", "password", "sshPassphrase", "sshPrivateKey"], "the caller's own list is kept");
      assert.ok(isSecretValue(inputs.password, PASSWORD), `password input: ${JSON.stringify(inputs.password)}`);
      assert.equal(inputs.username, USER);
      assert.equal(typeof inputs.__provider, "string", "the serialized provider travels as an input");
      const { password: _password, ...others } = inputs;
      assertNoPassword(JSON.stringify(others), "ServerDrain inputs other than password (the provider text included)");
    });

    it("ClusterReadinessGate does the same", async function () {
      const seen = registration("gate");
      new ClusterReadinessGate("gate", { members, username: USER, password: pulumi.secret(PASSWORD), backend: "myapp" });
      const { inputs, additionalSecretOutputs } = await seen;
      assert.deepEqual(additionalSecretOutputs, ["password", "sshPrivateKey", "sshPassphrase"]);
      assert.ok(isSecretValue(inputs.password, PASSWORD), `password input: ${JSON.stringify(inputs.password)}`);
      const { password: _password, ...others } = inputs;
      assertNoPassword(JSON.stringify(others), "gate inputs other than password");
    });
  });
});
