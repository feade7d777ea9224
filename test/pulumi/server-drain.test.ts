// ServerDrain's provider methods (check, diff, create, read, update, delete) called the
// way the engine calls them, against two real HAProxy members in front of three apps.

import { strict as assert } from "node:assert";
import { unknownValue } from "@pulumi/pulumi/runtime/rpc";
import { readinessGate, serverDrain, UNKNOWN } from "../../provider/pulumi/impl";
import { heldSteps, releaseSteps } from "../../provider/pulumi/impl/step-holds";
import { refusedPort } from "../support/fake-members";
import { everyStatus, holdSessionOn, rejection, restoreServing, statuses, useRuntimeApiPair, type Rig } from "./helpers";

type Outs = Record<string, unknown> & {
  members: string[];
  drainedOn: string[];
  failedOn: Record<string, string>;
  adminState: Record<string, string>;
  drainedAt: string;
};

/** Stands for the serialized provider text the engine adds to every resource's inputs. */
const PROVIDER_TEXT = "exports.handler = function () { /* the serialized provider */ };";

describe("ServerDrain's check and diff", function () {
  const members = ["unix:/run/haproxy/lb1.sock", "tcp://10.0.0.2:9999"];
  const inputs = (extra: Record<string, unknown> = {}) => ({ members, backend: "myapp", server: "server1", ...extra });

  it("applies every default and keeps what was given", function () {
    const { inputs: checked, failures } = serverDrain.check({}, inputs({ mode: "maint", __provider: PROVIDER_TEXT }));
    assert.deepEqual(failures, []);
    assert.deepEqual(checked, {
      members,
      backend: "myapp",
      server: "server1",
      mode: "maint",
      drainTimeoutSeconds: 120,
      waitForSessions: false,
      sessionsTimeoutSeconds: 60,
      onSessionsTimeout: "fail",
      restoreTimeoutSeconds: 120,
      minOtherServing: 1,
      force: false,
      abandonUnreachableMembers: false,
      lifetime: "resource",
      requestTimeoutSeconds: 5,
      dangerouslySkipTlsVerify: false,
      dangerouslyAcceptUnknownHostKey: false,
      __provider: PROVIDER_TEXT,
    });
  });

  it("tolerates preview's unknown value in any property, and inside arrays", function () {
    assert.equal(UNKNOWN, unknownValue, "the same value the engine sends");
    const every = ["members", "username", "password", "requestTimeoutSeconds", "caPem", "dangerouslySkipTlsVerify", "backend", "server", "mode", "drainTimeoutSeconds", "waitForSessions", "sessionsTimeoutSeconds", "onSessionsTimeout", "restoreTimeoutSeconds", "minOtherServing", "force", "lifetime", "triggers"];
    for (const property of every) {
      const { inputs: checked, failures } = serverDrain.check({}, inputs({ [property]: UNKNOWN }));
      assert.deepEqual(failures, [], `unknown ${property}`);
      assert.equal(checked[property], UNKNOWN, `unknown ${property} passes through untouched`);
    }
    for (const [property, value] of [["members", [members[0], UNKNOWN]], ["triggers", ["v1", UNKNOWN]], ["members", [UNKNOWN]]] as const) {
      const { inputs: checked, failures } = serverDrain.check({}, inputs({ [property]: value }));
      assert.deepEqual(failures, [], `${property} ${JSON.stringify(value)}`);
      assert.deepEqual(checked[property], value);
    }
    // Everything at once, as a first preview of a stack whose cluster does not exist yet.
    const allUnknown = Object.fromEntries(every.map((p) => [p, UNKNOWN]));
    assert.deepEqual(serverDrain.check({}, allUnknown).failures, []);
  });

  it("still validates the known properties while others are unknown", function () {
    const { failures } = serverDrain.check({}, inputs({ server: UNKNOWN, mode: "drained" }));
    assert.deepEqual(failures.map((f) => f.property), ["mode"]);
  });

  it("refuses a member URL holding a password, naming `members` in the reason only, so the engine cannot echo the value", function () {
    const { failures } = serverDrain.check({}, inputs({ members: ["http://admin:hunter2-pw@10.0.0.1:8404/stats", members[1]] }));
    assert.equal(failures.length, 1);
    // A named property makes the engine print "property members value {…}": the password.
    assert.equal(failures[0]!.property, "");
    assert.match(failures[0]!.reason, /^members: .*password/);
    assert.ok(!failures[0]!.reason.includes("hunter2-pw"), failures[0]!.reason);
  });

  it("refuses SSH key material of the wrong type, or under a misspelt name, without naming a property the engine would echo", function () {
    const key = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA-secret-key-body\n-----END OPENSSH PRIVATE KEY-----\n";
    const passphrase = "correct-horse-passphrase";
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ sshPrivateKey: { pem: key } }, /^sshPrivateKey: .*string/],
      [{ sshPrivateKey: [key] }, /^sshPrivateKey: .*string/],
      [{ sshPassphrase: { value: passphrase } }, /^sshPassphrase: .*string/],
      [{ password: { value: passphrase } }, /^password: .*string/],
      [{ sshPrivatekey: key }, /^sshPrivatekey: unknown input sshPrivatekey; known inputs: .*sshPrivateKey/],
      [{ sshPassPhrase: passphrase }, /^sshPassPhrase: unknown input/],
    ];
    for (const [given, reason] of cases) {
      const { failures } = serverDrain.check({}, inputs(given));
      assert.equal(failures.length, 1, JSON.stringify(Object.keys(given)));
      assert.equal(failures[0]!.property, "", failures[0]!.reason);
      assert.match(failures[0]!.reason, reason);
      for (const secret of [key, "secret-key-body", passphrase]) assert.ok(!JSON.stringify(failures).includes(secret), failures[0]!.reason);
    }
  });

  it("refuses an input it does not know instead of ignoring a misspelling", function () {
    const { failures } = serverDrain.check({}, inputs({ sessionsTimeoutSecond: 5 }));
    assert.equal(failures.length, 1);
    assert.equal(failures[0]!.property, "sessionsTimeoutSecond");
    assert.match(failures[0]!.reason, /unknown input sessionsTimeoutSecond; known inputs: .*sessionsTimeoutSeconds/);
  });

  it("refuses an empty member list and a mode it does not know", function () {
    // `members` may hold URLs: its failures name it in the reason, never as the property (see inputs.ts).
    assert.deepEqual(serverDrain.check({}, inputs({ members: [] })).failures.map((f) => [f.property, f.reason.split(":")[0]]), [["", "members"]]);
    const bad = serverDrain.check({}, inputs({ mode: "disable" })).failures;
    assert.deepEqual(bad.map((f) => f.property), ["mode"]);
    assert.match(bad[0]!.reason, /drain|maint/);
  });

  describe("diff", function () {
    // The old side is what the engine really passes: the outputs of the last create.
    const olds = (extra: Record<string, unknown> = {}) => ({
      ...serverDrain.check({}, inputs(extra)).inputs,
      drainedOn: members,
      failedOn: {},
      drainedAt: "2025-01-01T00:00:00.000Z",
      adminState: { [members[0]!]: "drain", [members[1]!]: "drain" },
      __provider: PROVIDER_TEXT,
    });

    it("replaces on a change of server, backend, lifetime or triggers, putting the old one back first", function () {
      for (const [property, value] of [["server", "server2"], ["backend", "other"], ["triggers", ["v2"]], ["lifetime", "step"]] as const) {
        const result = serverDrain.diff("id", olds({ triggers: ["v1"] }), inputs({ triggers: ["v1"], [property]: value }));
        assert.equal(result.changes, true, property);
        assert.deepEqual(result.replaces, [property]);
        // A lifetime resource is deleted (server put back) before its replacement drains,
        // whatever the replacement is: never two servers out at once.
        assert.equal(result.deleteBeforeReplace, true, property);
      }
    });

    it("puts a lifetime resource back before a rolling-deploy step for another server drains", function () {
      const result = serverDrain.diff("id", olds(), inputs({ server: "server2", lifetime: "step" }));
      assert.deepEqual(result, { changes: true, replaces: ["server", "lifetime"], deleteBeforeReplace: true });
    });

    it("needs no ordering when the old one is a rolling-deploy step, whose delete does nothing", function () {
      const result = serverDrain.diff("id", olds({ lifetime: "step" }), inputs({ server: "server2" }));
      assert.deepEqual(result, { changes: true, replaces: ["server", "lifetime"], deleteBeforeReplace: false });
    });

    it("replaces a rolling-deploy step without deleting it first", function () {
      const result = serverDrain.diff("id", olds({ lifetime: "step", triggers: ["v1"] }), inputs({ lifetime: "step", triggers: ["v2"] }));
      assert.deepEqual(result, { changes: true, replaces: ["triggers"], deleteBeforeReplace: false });
    });

    it("updates in place on a change of members or mode", function () {
      for (const [property, value] of [["members", [members[0]]], ["mode", "maint"]] as const) {
        const result = serverDrain.diff("id", olds(), inputs({ [property]: value }));
        assert.equal(result.changes, true, property);
        assert.deepEqual(result.replaces, [], property);
        assert.equal(result.deleteBeforeReplace, false, property);
      }
    });

    it("reports no change for identical inputs, defaults left out included", function () {
      assert.equal(serverDrain.diff("id", olds(), inputs()).changes, false);
      assert.equal(serverDrain.diff("id", olds(), serverDrain.check({}, inputs()).inputs).changes, false);
      assert.equal(serverDrain.diff("id", olds({ mode: "drain" }), inputs()).changes, false);
    });

    it("asks for an update when refresh found the server back in rotation on a member, so the next up repairs the drift", function () {
      const drifted = { ...olds(), drainedOn: [members[0]] };
      assert.deepEqual(serverDrain.diff("id", drifted, inputs()), { changes: true, replaces: [], deleteBeforeReplace: false });
      const step = { ...olds({ lifetime: "step" }), drainedOn: [] };
      assert.equal(serverDrain.diff("id", step, inputs({ lifetime: "step" })).changes, false, "a step is released on purpose");
    });

    it("counts an unknown new value as a change", function () {
      assert.equal(serverDrain.diff("id", olds(), inputs({ mode: UNKNOWN })).changes, true);
      assert.equal(serverDrain.diff("id", olds(), inputs({ members: [members[0], UNKNOWN] })).changes, true);
      const server = serverDrain.diff("id", olds(), inputs({ server: UNKNOWN }));
      assert.equal(server.changes, true);
      assert.deepEqual(server.replaces, ["server"]);
    });
  });
});

describe("ServerDrain against two real HAProxy members", function () {
  let rig: Rig;
  let lb1: string;
  let lb2: string;
  const props = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
    members: [lb1, lb2],
    backend: "myapp",
    server: "server1",
    __provider: PROVIDER_TEXT,
    ...extra,
  });
  const create = async (extra: Record<string, unknown> = {}) => {
    const { id, outs } = await serverDrain.create(props(extra));
    return { id, outs: outs as Outs };
  };
  const serverApp = (name: string) => rig.apps.find((a) => a.name === name)!;

  useRuntimeApiPair((started, unixMember, tcpMember) => {
    rig = started;
    lb1 = unixMember;
    lb2 = tcpMember;
  });
  afterEach(async function () {
    // A step's watcher lives until its gate; these tests end before any gate.
    await releaseSteps([lb1, lb2], "myapp", ["server1", "server2", "server3"]);
    assert.deepEqual(heldSteps(), []);
    // A session a failed test held open would be counted by the next one.
    for (const app of rig.apps) await app.releaseHeld();
    await restoreServing(rig);
  });

  it("takes the server out on every member and records where, with the admin state", async function () {
    const { id, outs } = await create();
    assert.deepEqual(await statuses(rig, "server1"), ["DRAIN", "DRAIN"]);
    assert.deepEqual(await statuses(rig, "server2"), ["UP", "UP"]);
    assert.match(id, /^myapp\/server1\/[0-9a-f-]{36}$/);
    assert.deepEqual(outs.drainedOn, [lb1, lb2]);
    assert.deepEqual(outs.adminState, { [lb1]: "drain", [lb2]: "drain" });
    assert.deepEqual(outs.failedOn, {});
    assert.ok(Math.abs(Date.parse(outs.drainedAt) - Date.now()) < 60_000, outs.drainedAt);
    // Outputs repeat the inputs with their defaults: delete and refresh get only these.
    assert.equal(outs.mode, "drain");
    assert.equal(outs.lifetime, "resource");
    assert.equal(outs.minOtherServing, 1);
    await serverDrain.remove(id, outs);
  });

  it("shows on refresh that someone re-enabled the server by hand: that member leaves drainedOn", async function () {
    const { id, outs } = await create();
    await rig.lbs[1]!.runtime("set server myapp/server1 state ready");
    // The state the engine hands to read: the outputs plus the provider text it keeps.
    const read = await serverDrain.read(id, { ...outs, __provider: PROVIDER_TEXT });
    assert.equal(read.id, id, "read keeps the id, or the engine would drop the resource");
    assert.deepEqual(read.props.drainedOn, [lb1]);
    assert.deepEqual(read.props.adminState, { [lb1]: "drain", [lb2]: "ready" });
    assert.equal(read.props.__provider, PROVIDER_TEXT);
    await serverDrain.remove(id, read.props);
  });

  it("shows on refresh that a member was reloaded during its lifetime (the drain gone there), and the next update drains it again", async function () {
    const { id, outs } = await create();
    // A graceful reload without a server-state file: the new process starts from the configuration.
    await rig.lbs[1]!.reload();
    // The new process judges every server afresh (3.x starts them from its first checks):
    // the guard rightly refuses until the other servers serve there again. server1 too is
    // awaited: its own first checks need not be done when the others' are.
    await Promise.all(["server1", "server2", "server3"].map((s) => rig.lbs[1]!.waitForStatus(rig.backend, s, (status) => status === "UP", 15_000)));
    assert.deepEqual(await statuses(rig, "server1"), ["DRAIN", "UP"]);
    const read = await serverDrain.read(id, { ...outs, __provider: PROVIDER_TEXT });
    assert.deepEqual(read.props.drainedOn, [lb1], "refresh reports the drift");
    assert.deepEqual(read.props.adminState, { [lb1]: "drain", [lb2]: "ready" });
    const news = { ...props(), minOtherServing: 1 };
    assert.equal(serverDrain.diff(id, read.props, news).changes, true, "the next up updates it");
    const { outs: repaired } = await serverDrain.update(id, read.props, news);
    assert.deepEqual(await statuses(rig, "server1"), ["DRAIN", "DRAIN"]);
    assert.deepEqual((repaired as Outs).drainedOn, [lb1, lb2]);
    await serverDrain.remove(id, repaired);
  });

  it("reports no drift on refresh of a rolling-deploy step that is serving again", async function () {
    const { id, outs } = await create({ lifetime: "step" });
    await rig.lbs[1]!.runtime("set server myapp/server1 state ready");
    const read = await serverDrain.read(id, outs);
    assert.deepEqual(read.props.drainedOn, [lb1, lb2]);
    assert.deepEqual(read.props.adminState, { [lb1]: "drain", [lb2]: "ready" }, "the real admin state is still reported");
  });

  it("holds a rolling-deploy step drained across a reload until its gate puts the server back, and the gate reports the reload", async function () {
    await create({ lifetime: "step" });
    assert.deepEqual(heldSteps(), ["myapp/server1"]);
    // A graceful reload without a server-state file (resolves once the new process answers):
    // the new process takes server1 from its configuration, back in rotation.
    await rig.lbs[1]!.reload();
    // The step's watcher, in this (the provider's) process, drains it there again.
    await rig.lbs[1]!.waitForStatus(rig.backend, "server1", (status) => status === "DRAIN", 15_000);
    assert.deepEqual(await statuses(rig, "server1"), ["DRAIN", "DRAIN"]);
    const { outs } = await readinessGate.create({ members: [lb1, lb2], backend: "myapp", readyServers: ["server1"], minChecks: 1, intervalSeconds: 0.2, timeoutSeconds: 30 });
    assert.deepEqual(heldSteps(), [], "the gate released the step");
    const warnings = outs.holdWarnings as string[];
    assert.equal(warnings.length, 1, JSON.stringify(warnings));
    assert.match(warnings[0]!, new RegExp(`^${lb2.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} .*reload.*myapp/server1 was held drained there: drained again\.$`));
    assert.ok(!warnings[0]!.includes(lb1), "only the reloaded member is named");
    assert.deepEqual(await statuses(rig, "server1"), ["UP", "UP"]);
  });

  it("puts the server back, serving, on a member removed by an update, and keeps it out on the other", async function () {
    const { id, outs } = await create();
    const updated = await serverDrain.update(id, outs, props({ members: [lb1] }));
    const after = updated.outs as Outs;
    // The update waits until it serves again there: no polling needed here.
    assert.deepEqual(await statuses(rig, "server1"), ["DRAIN", "UP"]);
    assert.deepEqual(after.members, [lb1]);
    assert.deepEqual(after.drainedOn, [lb1]);
    await serverDrain.remove(id, after);
    assert.deepEqual(await statuses(rig, "server1"), ["UP", "UP"]);
  });

  it("takes the server out on a member added by an update", async function () {
    const { id, outs } = await create({ members: [lb1] });
    assert.deepEqual(await statuses(rig, "server1"), ["DRAIN", "UP"]);
    assert.deepEqual(outs.drainedOn, [lb1]);
    const updated = (await serverDrain.update(id, outs, props({ members: [lb1, lb2] }))).outs as Outs;
    assert.deepEqual(await statuses(rig, "server1"), ["DRAIN", "DRAIN"]);
    assert.deepEqual(updated.drainedOn, [lb1, lb2]);
    assert.deepEqual(updated.adminState, { [lb1]: "drain", [lb2]: "drain" });
    await serverDrain.remove(id, updated);
  });

  it("puts the server back on every member on fresh health checks when deleted, and returns once it serves everywhere", async function () {
    const { id, outs } = await create();
    const downsBefore = await Promise.all(rig.lbs.map(async (lb) => Number((await lb.stat("myapp", "server1")).chkdown)));
    await serverDrain.remove(id, outs);
    const rows = await Promise.all(rig.lbs.map((lb) => lb.stat("myapp", "server1")));
    assert.deepEqual(rows.map((r) => r.status), ["UP", "UP"]);
    // Fresh checks: the old UP verdict was forced down, so HAProxy counted one more
    // UP→DOWN transition, and the server came back only on checks made since.
    assert.deepEqual(rows.map((r, i) => Number(r.chkdown) - downsBefore[i]!), [1, 1]);
  });

  it("changes nothing when a rolling-deploy step is deleted: the gate after it puts the server back", async function () {
    const { id, outs } = await create({ lifetime: "step" });
    const before = await everyStatus(rig);
    await serverDrain.remove(id, outs);
    assert.deepEqual(await everyStatus(rig), before);
    assert.deepEqual(await statuses(rig, "server1"), ["DRAIN", "DRAIN"]);
  });

  it("records members by name whatever spelling of the spec was given, so refresh and update agree with create", async function () {
    // A bare socket path is a valid spec; its member is named `unix:<path>`.
    const bare = rig.lbs[0]!.adminSocket;
    assert.equal(lb1, `unix:${bare}`);
    const { id, outs } = await create({ members: [bare, lb2] });
    assert.deepEqual(outs.drainedOn, [lb1, lb2]);
    const read = await serverDrain.read(id, { ...outs, __provider: PROVIDER_TEXT });
    assert.deepEqual(read.props.drainedOn, [lb1, lb2], "no drift: the server is out on both");
    // Removing the other member: the bare-path member stays recorded as drained.
    const updated = (await serverDrain.update(id, read.props, props({ members: [bare] }))).outs as Outs;
    assert.deepEqual(updated.drainedOn, [lb1]);
    assert.deepEqual(await statuses(rig, "server1"), ["DRAIN", "UP"]);
    await serverDrain.remove(id, updated);
    assert.deepEqual(await statuses(rig, "server1"), ["UP", "UP"]);
  });

  it("takes the server out of all traffic with mode maint", async function () {
    const { id, outs } = await create({ mode: "maint" });
    assert.deepEqual(await statuses(rig, "server1"), ["MAINT", "MAINT"]);
    assert.deepEqual(outs.adminState, { [lb1]: "maint", [lb2]: "maint" });
    const read = await serverDrain.read(id, outs);
    assert.deepEqual(read.props.drainedOn, [lb1, lb2], "maint counts as out for mode maint");
    await serverDrain.remove(id, outs);
    assert.deepEqual(await statuses(rig, "server1"), ["UP", "UP"]);
  });

  describe("waiting for sessions", function () {
    it("returns only after an open session on the server has ended", async function () {
      const held = await holdSessionOn(rig, 0, "server1", 2000);
      // The other servers are drained on lb1 to steer the request: allow that here.
      const { id, outs } = await create({ waitForSessions: true, sessionsTimeoutSeconds: 20, minOtherServing: 0 });
      const returnedAt = Date.now();
      // The app answers no earlier than 2 s after the request was sent, and the session
      // ends after that answer: a create that did not wait would return well before.
      assert.ok(returnedAt - held.sentAt >= 2000, `create returned ${returnedAt - held.sentAt} ms after the request was sent`);
      const answer = await held.done;
      assert.deepEqual(answer, { status: 200, servedBy: "server1/1.0.0" }, "the held request finished normally");
      assert.deepEqual(outs.drainedOn, [lb1, lb2]);
      assert.equal(outs.sessionsDeadlineAction, undefined);
      assert.equal((await rig.lbs[0]!.stat("myapp", "server1")).scur, "0");
      await serverDrain.remove(id, outs);
    });

    it("fails at the sessions deadline with onSessionsTimeout fail, recording that the server is out everywhere", async function () {
      // Held until released after the deadline: a hold of fixed length could end first on a loaded machine.
      const held = await holdSessionOn(rig, 0, "server1", 120_000);
      const error = await rejection(create({ waitForSessions: true, sessionsTimeoutSeconds: 0.5, onSessionsTimeout: "fail", minOtherServing: 0 }));
      assert.equal(error.code, "HC_WAIT_DEADLINE");
      assert.match(error.message, /myapp\/server1 has 1 sessions/);
      assert.match(String(error.id), /^myapp\/server1\//);
      const properties = error.properties as Outs;
      assert.deepEqual(properties.drainedOn, [lb1, lb2]);
      assert.deepEqual(properties.adminState, { [lb1]: "drain", [lb2]: "drain" });
      assert.equal(properties.__provider, PROVIDER_TEXT, "kept, so the engine can delete the record later");
      assert.deepEqual(error.reasons, [error.message]);
      // The record matches reality.
      assert.deepEqual(await statuses(rig, "server1"), ["DRAIN", "DRAIN"]);
      assert.equal(await serverApp("server1").releaseHeld(), 1, "the session was still open");
      assert.equal((await held.done).status, 200);
      // And it is enough to undo: delete gets exactly these properties.
      await serverDrain.remove(String(error.id), properties);
      assert.deepEqual(await statuses(rig, "server1"), ["UP", "UP"]);
    });

    it("succeeds at the sessions deadline with onSessionsTimeout proceed, recording the sessions left", async function () {
      // Held until released after the deadline: a hold of fixed length could end first on a loaded machine.
      const held = await holdSessionOn(rig, 0, "server1", 120_000);
      const { id, outs } = await create({ waitForSessions: true, sessionsTimeoutSeconds: 0.5, onSessionsTimeout: "proceed", minOtherServing: 0 });
      assert.equal(outs.sessionsDeadlineAction, "proceed");
      assert.deepEqual(outs.sessionsAtDeadline, { [lb1]: 1, [lb2]: 0 });
      assert.deepEqual(outs.drainedOn, [lb1, lb2]);
      assert.equal(await serverApp("server1").releaseHeld(), 1, "proceed does not cut the session");
      assert.equal((await held.done).status, 200, "proceed does not cut the session");
      await serverDrain.remove(id, outs);
    });
  });

  describe("the capacity guard", function () {
    it("refuses to take the server out where too few others would serve, naming the member and the numbers, and changes nothing", async function () {
      await rig.lbs[1]!.runtime("set server myapp/server2 state maint");
      await rig.lbs[1]!.runtime("set server myapp/server3 state maint");
      const before = await everyStatus(rig);
      const error = await rejection(create());
      assert.equal(error.code, "HC_CAPACITY_GUARD");
      assert.ok(error.message.includes(`on ${lb2} only 0 other server(s) would keep serving, below minOtherServing 1`), error.message);
      assert.ok(!error.message.includes(lb1), "lb1 had capacity to spare");
      assert.equal(error.id, undefined, "nothing was changed, so nothing is recorded in state");
      assert.deepEqual(await everyStatus(rig), before);
      assert.equal(before[`${rig.lbs[0]!.name}/server1`], "UP");
    });

    it("lets a server that is not serving go out: it takes no capacity with it", async function () {
      await rig.lbs[1]!.runtime("set server myapp/server2 state maint");
      await rig.lbs[1]!.runtime("set server myapp/server3 state maint");
      await rig.apps[0]!.setReady(false);
      await Promise.all(rig.lbs.map((lb) => lb.waitForStatus("myapp", "server1", (st) => st === "DOWN")));
      const { id, outs } = await create();
      assert.deepEqual(outs.drainedOn, [lb1, lb2]);
      assert.deepEqual(outs.adminState, { [lb1]: "drain", [lb2]: "drain" });
      await rig.apps[0]!.setReady(true);
      await serverDrain.remove(id, outs);
    });

    it("is overridden by force", async function () {
      await rig.lbs[1]!.runtime("set server myapp/server2 state maint");
      await rig.lbs[1]!.runtime("set server myapp/server3 state maint");
      const { id, outs } = await create({ force: true });
      assert.deepEqual(await statuses(rig, "server1"), ["DRAIN", "DRAIN"]);
      assert.deepEqual(outs.drainedOn, [lb1, lb2]);
      await serverDrain.remove(id, outs);
    });
  });

  describe("a member that cannot be reached", function () {
    let dead: string;
    before(async function () {
      dead = `tcp://127.0.0.1:${await refusedPort()}`;
    });

    it("makes the capacity guard refuse, failing closed, and nothing changes anywhere", async function () {
      const before = await everyStatus(rig);
      const error = await rejection(create({ members: [lb1, dead] }));
      assert.equal(error.code, "HC_MEMBER_UNREACHABLE");
      assert.ok(error.message.includes(`cannot check capacity on ${dead}`), error.message);
      // force would drain lb1 only (the next test): the advice is what helps instead.
      assert.match(error.message, /; fix the member and try again; if it is out of service, leave it out of the members to act on the others\.$/);
      assert.doesNotMatch(error.message, /force/);
      assert.equal(error.id, undefined, "nothing was changed, so nothing is recorded in state");
      assert.deepEqual(await everyStatus(rig), before);
    });

    it("with force, gives a partial failure whose record says exactly where the server is out", async function () {
      const error = await rejection(create({ members: [lb1, dead], force: true }));
      assert.match(String(error.id), /^myapp\/server1\//);
      const properties = error.properties as Outs;
      assert.deepEqual(properties.drainedOn, [lb1]);
      assert.deepEqual(Object.keys(properties.failedOn), [dead]);
      assert.match(properties.failedOn[dead]!, /refused|unreachable/i);
      assert.equal(properties.__provider, PROVIDER_TEXT);
      assert.deepEqual(properties.members, [lb1, dead]);
      assert.deepEqual(error.reasons, [error.message]);
      assert.equal(error.code, "HC_PARTIAL_FAILURE");
      assert.ok(error.message.includes(dead), error.message);
      // The record matches reality: out on lb1, untouched on lb2 (not a member here).
      assert.deepEqual(await statuses(rig, "server1"), ["DRAIN", "UP"]);
      // Deleting that record puts lb1 back and still reports the member it cannot reach.
      const deleteError = await rejection(serverDrain.remove(String(error.id), properties));
      assert.ok(deleteError.message.includes(dead), deleteError.message);
      assert.deepEqual(await statuses(rig, "server1"), ["UP", "UP"]);
    });
  });
});
