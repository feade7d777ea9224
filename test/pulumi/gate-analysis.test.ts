// ClusterReadinessGate with `analysis` against two real HAProxy members under traffic: a
// server put back with a bad version fails the gate with the verdict (drained on every
// member first with onFailure "drain"); a good one passes with its verdict in the outputs.

import { strict as assert } from "node:assert";
import type { AnalysisVerdict } from "../../provider";
import { readinessGate } from "../../provider/pulumi/impl";
import { startCluster } from "../support/haproxy";
import { memberSpec } from "../support/member-specs";
import { startTraffic, type Traffic } from "../support/traffic";
import { FAST_CHECKS, rejection, restoreServing, statuses, type Rig } from "./helpers";

const ANALYSIS = { bakeSeconds: 4, timeoutSeconds: 20, minRequests: 100, intervalSeconds: 0.5 };

describe("ClusterReadinessGate with analysis against two real HAProxy members", function () {
  this.timeout(120_000);
  let rig: Rig;
  let members: string[];
  let traffic: Traffic | undefined;
  const props = (extra: Record<string, unknown>): Record<string, unknown> => ({ members, backend: "myapp", minChecks: 1, intervalSeconds: 0.2, timeoutSeconds: 30, ...extra });

  before(async function () {
    rig = await startCluster({ members: 2, servers: 3, check: FAST_CHECKS });
    members = [memberSpec(rig.lbs[0]!, "unix"), memberSpec(rig.lbs[1]!, "tcp")];
  });
  after(async function () {
    await rig?.stop();
  });
  beforeEach(function () {
    traffic = startTraffic({ urls: rig.lbs.map((lb) => lb.frontendUrl), connections: 4, pauseMs: 40 });
  });
  afterEach(async function () {
    await traffic?.stop();
    await Promise.all(rig.apps.map((app) => app.setBehaviour({ failPercent: 0, slowMs: 0 })));
    await restoreServing(rig);
  });

  it("fails the gate with the verdict when the server put back fails a fifth of requests, drained on every member with onFailure drain", async function () {
    for (const lb of rig.lbs) await lb.runtime("set server myapp/server1 state drain");
    await rig.apps[0]!.setBehaviour({ failPercent: 20 });
    const error = await rejection(readinessGate.create(props({ readyServers: ["server1"], analysis: { ...ANALYSIS, onFailure: "drain" } })));
    assert.equal(error.code, "HC_ANALYSIS_FAILED");
    assert.match(error.message, /^analysis stopped the rollout: the new version regressed\. myapp\/server1 regressed on 2 members .*above the ceiling of 5%.* myapp\/server1 is drained on every member/);
    assert.deepEqual(await statuses(rig, "server1"), ["DRAIN", "DRAIN"]);
  });

  it("passes a good server put back and records its verdict in the outputs", async function () {
    for (const lb of rig.lbs) await lb.runtime("set server myapp/server2 state drain");
    const { outs } = await readinessGate.create(props({ readyServers: ["server2"], analysis: ANALYSIS }));
    const verdict = (outs.analyses as Record<string, AnalysisVerdict>).server2!;
    assert.equal(verdict.outcome, "good", verdict.message);
    assert.ok(verdict.numbers.server.requests >= 100);
    assert.deepEqual(verdict.peers.sort(), ["server1", "server3"]);
  });

  it("refuses an unknown analysis setting before anything changes", async function () {
    const { failures } = readinessGate.check({}, props({ readyServers: ["server2"], analysis: { bakeSecond: 4 } }));
    assert.equal(failures.length, 1);
    assert.equal(failures[0]!.property, "analysis");
  });
});
