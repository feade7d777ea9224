// Capabilities are checked before any write: a mixed cluster (one member over the Runtime
// API, one over the stats page, which sets no weights) refuses a weight change as a whole
// instead of changing the member that could and failing on the other.
import assert from "node:assert/strict";
import { Cluster } from "../../provider/cluster/cluster";
import { applyServerAction } from "../../provider/cluster/actions";
import { isHcError } from "../../provider/errors";
import { httpMemberWithPassword, runCli, show, useTwoMemberCluster } from "../cli/helpers";
import type { Cluster as Rig } from "../support/haproxy";

describe("capabilities checked before any write", function () {
  let rig: Rig;
  useTwoMemberCluster((started) => {
    rig = started;
  });

  const weights = () => Promise.all(rig.lbs.map(async (lb) => (await lb.runtime("get weight myapp/server2")).trim()));

  it("refuses a weight change on a cluster with a stats page member, naming it, and changes no member", async function () {
    const members = [`unix:${rig.lbs[0]!.adminSocket}`, httpMemberWithPassword(rig.lbs[1]!)];
    const before = await weights();
    const cluster = new Cluster(members);
    try {
      await assert.rejects(applyServerAction(cluster, "myapp", "server2", "weight", { weight: 7 }), (error: unknown) => {
        assert.ok(isHcError(error), String(error));
        assert.equal(error.code, "HC_ACTION_REFUSED");
        assert.match(error.message, /the stats page cannot set weights/);
        assert.match(error.message, /Nothing changed on any member\.$/);
        return true;
      });
    } finally {
      await cluster.close();
    }
    assert.deepEqual(await weights(), before);

    const cli = await runCli(["weight", "--backend", "myapp", "--server", "server2", "--weight", "7", ...members]);
    assert.equal(cli.code, 3, show(cli));
    assert.match(cli.stderr, /the stats page cannot set weights/, show(cli));
    assert.doesNotMatch(cli.stderr + cli.stdout, new RegExp(rig.lbs[1]!.statsAuth!.password), "the password stays out of the output");
    assert.deepEqual(await weights(), before);
  });
});
