// examples/rolling-restart with real `pulumi up`, `refresh` and `destroy` against two
// HAProxy members (lb1 over its stats page with a password, lb2 over its admin socket)
// and three apps that run before the first up (v0, by pid file): the provider runs the
// restart command (test/support/restart-app-main.js) for each server in turn.
import { strict as assert } from "node:assert";
import path from "node:path";
import { memberSpec } from "../support/member-specs";
import { createStack, OperationFailed, type TestStack } from "../support/pulumi-stack";
import { startTraffic } from "../support/traffic";
import {
  EXAMPLES_DIR,
  FAST_GATE,
  SETUP_TIMEOUT_MS,
  STATS_USER,
  appProcess,
  appSpecs,
  filesUnder,
  newPassword,
  operationsByResource,
  prepareProjects,
  rolloutProblems,
  secretForms,
  startApps,
  startPair,
  startWatcher,
  statuses,
  waitAllUp,
  type AppFleet,
  type AppSpec,
  type Pair,
} from "./helpers";

const PROJECT_DIR = path.join(EXAMPLES_DIR, "rolling-restart");
const RESTART_APP = path.join(__dirname, "..", "support", "restart-app-main.js");

describe("e2e: examples/rolling-restart, pulumi up, refresh and destroy against two real HAProxy members", function () {
  this.timeout(300_000);
  const password = newPassword();
  let apps: AppSpec[];
  let fleet: AppFleet;
  let pair: Pair;
  let stack: TestStack;
  const restartTo = (version: string): string[] => [process.execPath, RESTART_APP, "--state-dir", fleet.stateDir, "--version", version];
  const versions = async (): Promise<string[]> => Promise.all(apps.map(async (app) => (await appProcess.probe("127.0.0.1", app.port))?.version ?? "none"));

  before(async function () {
    this.timeout(SETUP_TIMEOUT_MS);
    await prepareProjects(PROJECT_DIR);
    apps = await appSpecs();
    fleet = await startApps(apps, "v0", "rolling-restart");
    pair = await startPair(apps, password);
    await waitAllUp(pair, apps);
    stack = await createStack({
      projectDir: PROJECT_DIR,
      label: "rolling-restart",
      // lb2 over its admin socket shows each server's address (the stats page does not without `stats show-legends`).
      config: { members: [pair.members[0], memberSpec(pair.lbs[1]!, "unix")], statsUser: STATS_USER, gate: { intervalSeconds: FAST_GATE.intervalSeconds, minChecks: FAST_GATE.minChecks }, version: "v1" },
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

  it("up restarts the three servers one at a time under traffic with no failed request, the command's output in Pulumi's log; an up without changes restarts nothing", async function () {
    await stack.setConfig({ command: restartTo("v1") });
    const fromPids = fleet.pids();
    const watcher = startWatcher(pair, apps);
    const traffic = startTraffic({ urls: pair.lbs.map((lb) => lb.frontendUrl) });
    let up;
    try {
      up = await stack.up();
    } finally {
      await traffic.stop();
    }
    const watched = await watcher.stop();
    assert.deepEqual(Object.fromEntries(traffic.counts), { "200": traffic.total }, "every request answered 200");
    assert.deepEqual(rolloutProblems(watched, { apps, fromPids, toVersion: "v1", batchSize: 1, memberNames: ["lb1", "lb2"] }), []);
    assert.deepEqual(await versions(), ["v1", "v1", "v1"]);
    assert.deepEqual(operationsByResource(up.record.events), { restart: ["create"] });
    for (const app of apps) assert.ok(up.record.text.includes(`[${app.name}] restarting ${app.name} on 127.0.0.1:${app.port} as v1`), up.record.text);

    const outputs = await stack.outputs();
    assert.deepEqual(outputs.drainedServers, []);
    assert.equal(typeof outputs.completedAt, "string");
    const restarts = outputs.restarts as Record<string, { outcome: string; commandExitCode: number }>;
    assert.deepEqual(Object.entries(restarts).map(([s, r]) => [s, r.outcome, r.commandExitCode]), apps.map((a) => [a.name, "restarted", 0]));

    const pids = fleet.pids();
    const again = await stack.up();
    assert.deepEqual(operationsByResource(again.record.events), { restart: ["same"] });
    assert.deepEqual(fleet.pids(), pids, "nothing restarted without a change");
  });

  it("a failing command stops the up after the first server, left drained and in the state; fixed, the next up restarts it first and carries on; a new version (trigger) restarts all again", async function () {
    const pids = fleet.pids();
    await stack.setConfig({ version: "v2", command: ["sh", "-c", 'echo "no $HAPROXY_SERVER_NAME today" >&2; exit 4'] });
    const failed = await stack.up().then(
      () => assert.fail("the up should have failed"),
      (error: unknown) => error,
    );
    assert.ok(failed instanceof OperationFailed, String(failed));
    assert.match(failed.record.text, /server1: sh exited with status 4/);
    assert.match(failed.record.text, /\[server1\] no server1 today/);
    assert.deepEqual(await statuses(pair, "server1"), ["DRAIN", "DRAIN"]);
    assert.deepEqual(await statuses(pair, "server2"), ["UP", "UP"]);
    assert.deepEqual(fleet.pids(), pids);
    const record = ((await stack.stack.exportStack()).deployment.resources as Array<Record<string, any>>).find((r) => String(r.type).endsWith(":RollingRestart"))!;
    assert.deepEqual(record.outputs.drainedServers, ["server1"]);
    assert.equal(record.outputs.restarts.server1.outcome, "failed");

    await stack.setConfig({ command: restartTo("v2") });
    const fixed = await stack.up();
    assert.deepEqual(operationsByResource(fixed.record.events), { restart: ["update"] });
    assert.deepEqual(await versions(), ["v2", "v2", "v2"]);
    const outputs = await stack.outputs();
    assert.deepEqual(outputs.drainedServers, []);
    const restarts = outputs.restarts as Record<string, { batch: number; outcome: string }>;
    assert.deepEqual(Object.entries(restarts).map(([s, r]) => [s, r.batch, r.outcome]), [["server1", 1, "restarted"], ["server2", 2, "restarted"], ["server3", 3, "restarted"]]);

    const before = fleet.pids();
    await stack.setConfig({ version: "v3", command: restartTo("v3") });
    const bumped = await stack.up();
    assert.deepEqual(operationsByResource(bumped.record.events), { restart: ["update"] });
    assert.deepEqual(await versions(), ["v3", "v3", "v3"]);
    for (const app of apps) assert.notEqual(fleet.pids()[app.name], before[app.name], app.name);
  });

  it("refresh changes nothing, destroy leaves every server serving, and the password is nowhere in state, output or Pulumi's files", async function () {
    const refresh = await stack.refresh();
    assert.deepEqual(refresh.summary.resourceChanges, { same: 2 });
    const exported = JSON.stringify(await stack.exportEncrypted());
    const destroy = await stack.destroy();
    assert.deepEqual(operationsByResource(destroy.record.events), { restart: ["delete"] });
    for (const app of apps) assert.deepEqual(await statuses(pair, app.name), ["UP", "UP"], app.name);

    const places = [{ where: "stack export", text: exported }, ...stack.records.map((r) => ({ where: `pulumi ${r.operation}`, text: r.text + JSON.stringify(r.events) }))];
    for (const f of [...(await filesUnder(stack.dirs.backend)), ...(await filesUnder(stack.dirs.home))]) places.push({ where: f.file, text: f.text });
    const leaks = places.filter((p) => secretForms(password).some((form) => p.text.includes(form))).map((p) => p.where);
    assert.deepEqual(leaks, []);
  });
});
