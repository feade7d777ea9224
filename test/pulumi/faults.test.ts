// ServerDrain when a member is gone for good: a delete that cannot reach it says the way
// out, a refresh keeps the record true (where the server is back, and what is unknown),
// and abandonUnreachableMembers lets destroy and refresh finish, naming what was dropped.
import { strict as assert } from "node:assert";
import { serverDrain } from "../../provider/pulumi/impl";
import { useRuntimeApiPair, rejection, statuses, type Rig } from "./helpers";

type Outs = Record<string, unknown> & { drainedOn: string[]; unreadableOn?: Record<string, string>; abandonedOn?: Record<string, string> };

describe("ServerDrain with a member gone for good", function () {
  let rig: Rig;
  let lb1: string;
  let lb2: string;

  useRuntimeApiPair((started, unixMember, tcpMember) => {
    rig = started;
    lb1 = unixMember;
    lb2 = tcpMember;
  });

  it("says the way out on delete, keeps the record true on refresh, and lets destroy finish with abandonUnreachableMembers", async function () {
    const props = { members: [lb1, lb2], backend: "myapp", server: "server1", restoreTimeoutSeconds: 20 };
    const { id, outs } = await serverDrain.create(props);
    assert.deepEqual((outs as Outs).drainedOn, [lb1, lb2]);

    // lb2 is decommissioned while the server is drained.
    await rig.lbs[1]!.stop();

    const failed = await rejection(serverDrain.remove(id, outs));
    assert.match(failed.message, /If tcp:\/\/127\.0\.0\.1:\d+ is gone for good, set abandonUnreachableMembers: true on this ServerDrain, run pulumi up, then delete it again/);
    // The delete did put the server back where it could.
    assert.deepEqual((await statuses({ ...rig, lbs: [rig.lbs[0]!] }, "server1")), ["UP"]);

    // Refresh: lb1 is no longer drained; lb2 keeps its last known record, and says why.
    const read = (await serverDrain.read(id, outs)).props as Outs;
    assert.deepEqual(read.drainedOn, [lb2]);
    assert.deepEqual(Object.keys(read.unreadableOn ?? {}), [lb2]);
    assert.match(read.unreadableOn![lb2]!, /connection refused/);

    // The way out: the input set by an update (no member touched), then delete succeeds.
    const check = serverDrain.check(read, { ...props, abandonUnreachableMembers: true });
    assert.deepEqual(check.failures, []);
    // While the resource exists the server is out: the update takes it out on lb1 again.
    const updated = (await serverDrain.update(id, read, check.inputs)).outs as Outs;
    assert.equal(updated.abandonUnreachableMembers, true);
    assert.deepEqual(await statuses({ ...rig, lbs: [rig.lbs[0]!] }, "server1"), ["DRAIN"]);
    const refreshed = (await serverDrain.read(id, updated)).props as Outs;
    assert.deepEqual(refreshed.drainedOn, [lb1]);
    assert.deepEqual(Object.keys(refreshed.abandonedOn ?? {}), [lb2], "the dropped member is named: a warning in outputs");
    // Destroy: back in rotation on lb1, lb2 abandoned, and the delete succeeds.
    await serverDrain.remove(id, refreshed);
    assert.deepEqual(await statuses({ ...rig, lbs: [rig.lbs[0]!] }, "server1"), ["UP"]);
  });
});
