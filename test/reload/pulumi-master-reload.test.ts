// The Pulumi resources across a reload through the master CLI's own `reload` (master-worker
// mode, seen through the master socket and the stats page): a ServerDrain's lifetime
// (refresh sees the drain gone, the next update repairs it) and a RollingDeploy step
// between its drain and its gate (the step's watcher drains again). The same moments
// with a -sf reload are in test/pulumi/server-drain.test.ts; this file runs on every
// HAProxy release of the version matrix.

import { strict as assert } from "node:assert";
import { readinessGate, serverDrain } from "../../provider/pulumi/impl";
import { heldSteps, releaseSteps } from "../../provider/pulumi/impl/step-holds";
import { startAppServer, type AppServer } from "../support/app-server";
import { checkedUp } from "../support/haproxy";
import { startMasterWorker, type MasterWorkerHaproxy } from "../support/haproxy-master";

const BACKEND = "myapp";
const SERVERS = ["server1", "server2", "server3"];

describe("Pulumi resources across a reload through the master CLI", function () {
  this.timeout(90_000);
  let apps: AppServer[];
  let lb: MasterWorkerHaproxy;
  let members: string[];
  /** The connection inputs: the stats password as the `password` input, as Pulumi users give it. */
  let connection: { members: string[]; username: string; password: string };

  beforeEach(async function () {
    apps = await Promise.all(SERVERS.map((name) => startAppServer({ name })));
    lb = await startMasterWorker({
      name: "lbp",
      backends: [{ name: BACKEND, servers: apps.map((a) => ({ name: a.name, port: a.port })), check: { interMs: 300, rise: 2, fall: 2 } }],
    });
    await Promise.all(SERVERS.map((s) => lb.waitForRow(BACKEND, s, checkedUp, 20_000)));
    members = [`unix:${lb.masterSocket}`, lb.statsUrl];
    connection = { members, username: lb.statsAuth.user, password: lb.statsAuth.password };
  });
  afterEach(async function () {
    await releaseSteps(members ?? [], BACKEND, SERVERS);
    await lb?.stop();
    await Promise.all((apps ?? []).map((a) => a.stop()));
  });

  /** Reloads through the master CLI, then waits until the new worker serves the other servers (3.x judges them afresh). */
  async function reloadAndSettle(): Promise<void> {
    const before = lb.pid;
    assert.notEqual(await lb.reload("master CLI"), before);
    await Promise.all(["server2", "server3"].map((s) => lb.waitForRow(BACKEND, s, checkedUp, 20_000)));
  }

  it("shows a ServerDrain's drain undone by the reload on refresh, and the next update drains it again", async function () {
    const props = { ...connection, backend: BACKEND, server: "server1" };
    const { id, outs } = await serverDrain.create(props);
    assert.deepEqual(outs.drainedOn, members);
    await reloadAndSettle();
    const read = await serverDrain.read(id, outs);
    assert.deepEqual(read.props.drainedOn, [], "refresh: the new worker took server1 from its configuration");
    assert.equal(serverDrain.diff(id, read.props, props).changes, true, "the next up updates it");
    const { outs: repaired } = await serverDrain.update(id, read.props, props);
    assert.deepEqual(repaired.drainedOn, members);
    assert.match((await lb.stat(BACKEND, "server1")).status, /^DRAIN/);
    await serverDrain.remove(id, repaired);
    assert.equal((await lb.stat(BACKEND, "server1")).status, "UP");
  });

  it("drains a RollingDeploy step again after the reload, until its gate puts the server back and names the reload", async function () {
    await serverDrain.create({ ...connection, backend: BACKEND, server: "server1", lifetime: "step" });
    assert.deepEqual(heldSteps(), [`${BACKEND}/server1`]);
    await reloadAndSettle();
    await lb.waitForStatus(BACKEND, "server1", (status) => status === "DRAIN", 15_000);
    const { outs } = await readinessGate.create({ ...connection, backend: BACKEND, readyServers: ["server1"], minChecks: 1, intervalSeconds: 0.2, timeoutSeconds: 30 });
    assert.deepEqual(heldSteps(), []);
    const warnings = (outs.holdWarnings as string[] | undefined) ?? [];
    // Both ways in reach the same HAProxy: the first to see the reload drains it again; the
    // other may see it too and drain again (harmless), so one or two sentences.
    assert.ok(warnings.length >= 1 && warnings.length <= 2, JSON.stringify(warnings));
    for (const w of warnings) assert.match(w, /reloaded: server states from its configuration.*; myapp\/server1 was held drained there: drained again\.$/);
    assert.equal((await lb.stat(BACKEND, "server1")).status, "UP");
  });
});
