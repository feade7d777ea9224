// examples/maintenance-window with real `pulumi up`, `refresh` and `destroy` against two
// HAProxy members (stats pages with a password): the window opens and closes on every
// member, drift made by hand shows on refresh and is repaired by the next up.
import { strict as assert } from "node:assert";
import path from "node:path";
import { createStack, type TestStack } from "../support/pulumi-stack";
import {
  BACKEND,
  EXAMPLES_DIR,
  SETUP_TIMEOUT_MS,
  STATS_USER,
  appSpecs,
  fingerprint,
  newPassword,
  operationsByResource,
  prepareProjects,
  runtimeAction,
  servedVersions,
  startApps,
  startPair,
  statuses,
  waitAllUp,
  type AppFleet,
  type AppSpec,
  type Pair,
} from "./helpers";

/** The ServerDrain's record in a stack export. */
function drainRecord(deployment: { resources?: Array<Record<string, any>> }): Record<string, any> {
  const drains = (deployment.resources ?? []).filter((r) => String(r.type).endsWith(":ServerDrain"));
  assert.equal(drains.length, 1, `one ServerDrain in state: ${drains.map((r) => r.urn).join(", ")}`);
  return drains[0]!;
}

describe("e2e: examples/maintenance-window, pulumi up, refresh and destroy against two real HAProxy members", function () {
  this.timeout(300_000);
  const password = newPassword();
  let apps: AppSpec[];
  let fleet: AppFleet;
  let pair: Pair;
  let stack: TestStack;

  before(async function () {
    this.timeout(SETUP_TIMEOUT_MS);
    await prepareProjects(path.join(EXAMPLES_DIR, "maintenance-window"));
    apps = await appSpecs();
    fleet = await startApps(apps, "v1", "maintenance");
    pair = await startPair(apps, password);
    await waitAllUp(pair, apps);
    stack = await createStack({
      projectDir: path.join(EXAMPLES_DIR, "maintenance-window"),
      label: "maintenance",
      config: { members: pair.members, statsUser: STATS_USER, server: "server2" },
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

  /** The admin bits and status of every server on every member, as `show servers state` and `show stat` give them. */
  async function adminBits(): Promise<Record<string, string>> {
    const all = await fingerprint(pair);
    return Object.fromEntries(Object.entries(all).filter(([k]) => k.endsWith(" admin")).map(([k, v]) => [k, v.split(" ")[1]!]));
  }
  const bitsWith = (server2: string) => Object.fromEntries(["lb1", "lb2"].flatMap((lb) => apps.map((a) => [`${lb} ${a.name} admin`, a.name === "server2" ? server2 : "0"])));

  it("up opens the window (server2 DRAIN on every member, nothing else touched); a preview of closing changes nothing; maintenance false and up put server2 back, serving on every member when up returns", async function () {
    await stack.setConfig({ maintenance: true });
    const up = await stack.up();
    assert.deepEqual(operationsByResource(up.record.events), { maintenance: ["create"] });
    assert.deepEqual(await statuses(pair, "server2"), ["DRAIN", "DRAIN"]);
    for (const other of ["server1", "server3"]) assert.deepEqual(await statuses(pair, other), ["UP", "UP"], other);
    assert.deepEqual(await adminBits(), bitsWith("8"), "server2 has the drain bit (SRV_ADMF_FDRAIN) everywhere, the others none");
    const opened = await stack.outputs();
    assert.deepEqual(opened.drainedOn, pair.members);
    assert.deepEqual(opened.adminState, Object.fromEntries(pair.members.map((m) => [m, "drain"])));
    assert.equal(typeof opened.drainedAt, "string");

    await stack.setConfig({ maintenance: false });
    const before = await fingerprint(pair);
    const preview = await stack.preview();
    assert.deepEqual(operationsByResource(preview.record.events), { maintenance: ["delete"] });
    assert.deepEqual(await fingerprint(pair), before, "the preview put nothing back");

    const close = await stack.up();
    assert.deepEqual(operationsByResource(close.record.events), { maintenance: ["delete"] });
    // No wait here: up returns only once every member has seen server2 pass fresh checks.
    assert.deepEqual(await statuses(pair, "server2"), ["UP", "UP"]);
    assert.deepEqual(await adminBits(), bitsWith("0"));
    const closed = await stack.outputs();
    assert.deepEqual([closed.maintenance, closed.drainedOn, closed.adminState], [false, [], {}]);
    assert.deepEqual(await servedVersions(pair, apps, "v1"), [], "users reach every server again");
  });

  it("refresh after someone put server2 back by hand on lb2 shows the drift (drainedOn loses lb2); the next up asks for an update and drains it there again", async function () {
    const [lb1Member, lb2Member] = pair.members as [string, string];
    await stack.setConfig({ maintenance: true });
    await stack.up();
    assert.deepEqual(await statuses(pair, "server2"), ["DRAIN", "DRAIN"]);

    await runtimeAction(pair.lbs[1]!, `set server ${BACKEND}/server2 state ready`);
    await pair.lbs[1]!.waitForStatus(BACKEND, "server2", (s) => s === "UP");
    const refresh = await stack.refresh();
    assert.equal(refresh.summary.resourceChanges?.update, 1, `refresh reports one update: ${JSON.stringify(refresh.summary.resourceChanges)}`);
    const drifted = drainRecord((await stack.stack.exportStack()).deployment);
    assert.deepEqual(drifted.outputs.drainedOn, [lb1Member], "drainedOn lost lb2");
    assert.deepEqual(drifted.outputs.adminState, { [lb1Member]: "drain", [lb2Member]: "ready" });
    assert.deepEqual(await statuses(pair, "server2"), ["DRAIN", "UP"], "refresh only reads");

    const repair = await stack.up();
    assert.deepEqual(operationsByResource(repair.record.events), { maintenance: ["update"] });
    assert.equal(repair.summary.resourceChanges?.update, 1, JSON.stringify(repair.summary.resourceChanges));
    // Nothing in the program changed (same inputs): the provider's diff asked for the update because drainedOn lacks lb2.
    const step = repair.record.events.find((e) => e.resourcePreEvent?.metadata.urn.endsWith("::maintenance"))?.resourcePreEvent?.metadata;
    assert.ok(step?.old && step.new, "the update step names old and new state");
    assert.deepEqual(step.new.inputs, step.old.inputs);
    assert.deepEqual(await statuses(pair, "server2"), ["DRAIN", "DRAIN"]);
    const repaired = drainRecord((await stack.stack.exportStack()).deployment);
    assert.deepEqual([...repaired.outputs.drainedOn].sort(), [...pair.members].sort());
    assert.deepEqual((await stack.outputs()).drainedOn, repaired.outputs.drainedOn);
    for (const other of ["server1", "server3"]) assert.deepEqual(await statuses(pair, other), ["UP", "UP"], other);
  });

  it("destroy with the window open puts server2 back: every server serving on every member when destroy returns", async function () {
    await stack.setConfig({ maintenance: true });
    await stack.up();
    assert.deepEqual(await statuses(pair, "server2"), ["DRAIN", "DRAIN"]);
    const destroy = await stack.destroy();
    assert.deepEqual(operationsByResource(destroy.record.events), { maintenance: ["delete"] });
    for (const app of apps) assert.deepEqual(await statuses(pair, app.name), ["UP", "UP"], app.name);
    assert.deepEqual(await adminBits(), bitsWith("0"));
  });
});
