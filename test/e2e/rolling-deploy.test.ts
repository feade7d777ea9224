// examples/rolling-deploy with real `pulumi up` through the Automation API, against two
// HAProxy members (stats pages with a password) and three apps that run before the first
// up (v0, pid files in the stack's stateDir). A watcher samples every member and app every
// 50 ms, so the tests judge what HAProxy and the apps really went through.
import { strict as assert } from "node:assert";
import fs from "node:fs";
import path from "node:path";
import { freePort } from "../support/ports";
import { createStack, OperationFailed, type TestStack } from "../support/pulumi-stack";
import {
  BACKEND,
  FAST_GATE,
  ROLLING_DEPLOY_DIR,
  SETUP_TIMEOUT_MS,
  STATS_USER,
  appProcess,
  appSpecs,
  filesUnder,
  fingerprint,
  get,
  newPassword,
  operationsByResource,
  prepareProjects,
  rolloutProblems,
  secretForms,
  servedVersions,
  startApps,
  startPair,
  startTraffic,
  startWatcher,
  waitAllUp,
  waitEverywhere,
  type AppFleet,
  type AppSpec,
  type Pair,
  type Tick,
  type TrafficResult,
  type WatchResult,
} from "./helpers";

const CHAIN = ["rollout-gate-0", "rollout-drain-server1", "deploy-server1", "rollout-gate-1", "rollout-drain-server2", "deploy-server2", "rollout-gate-2", "rollout-drain-server3", "deploy-server3", "rollout-gate-3"];

describe("e2e: examples/rolling-deploy, pulumi up against two real HAProxy members", function () {
  this.timeout(600_000);
  const password = newPassword();
  let apps: AppSpec[];
  let fleet: AppFleet;
  let pair: Pair;
  let stack: TestStack;

  before(async function () {
    this.timeout(SETUP_TIMEOUT_MS);
    await prepareProjects(ROLLING_DEPLOY_DIR);
    apps = await appSpecs();
    fleet = await startApps(apps, "v0", "rolling");
    pair = await startPair(apps, password);
    await waitAllUp(pair, apps);
    stack = await createStack({
      projectDir: ROLLING_DEPLOY_DIR,
      label: "rolling",
      config: { members: pair.members, statsUser: STATS_USER, servers: apps, stateDir: fleet.stateDir, gate: FAST_GATE, version: "v1" },
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

  /** `pulumi up` of `version` while the watcher (and, if asked, traffic) runs. */
  async function deployWatched(version: string, withTraffic: boolean) {
    await stack.setConfig({ version });
    const fromPids = fleet.pids();
    const watcher = startWatcher(pair, apps);
    const traffic = withTraffic ? startTraffic(pair) : undefined;
    let watched: WatchResult | undefined;
    let seen: TrafficResult[] | undefined;
    try {
      const up = await stack.up();
      watched = await watcher.stop();
      seen = (await traffic?.stop()) ?? [];
      return { up, fromPids, watched, traffic: seen };
    } finally {
      if (!watched) await watcher.stop();
      if (!seen) await traffic?.stop();
    }
  }

  it("up v1 over the running v0 apps: at most one server out of rotation on any member, each drained before its app restarts and serving again before the next is drained; every server ends serving v1", async function () {
    const { up, fromPids, watched } = await deployWatched("v1", false);
    for (const app of apps) assert.equal(typeof fromPids[app.name], "number", `${app.name} ran (v0) before the first up`);
    assert.deepEqual(rolloutProblems(watched, { apps, fromPids, toVersion: "v1", batchSize: 1, memberNames: ["lb1", "lb2"] }), []);
    assert.deepEqual(await servedVersions(pair, apps, "v1"), []);

    const ops = operationsByResource(up.record.events);
    assert.deepEqual(Object.keys(ops).sort(), [...CHAIN, "rollout"].sort());
    for (const name of Object.keys(ops)) assert.deepEqual(ops[name], ["create"], name);
    const outputs = Object.fromEntries(Object.entries(up.outputs).map(([k, v]) => [k, v.value]));
    assert.deepEqual(outputs.versions, Object.fromEntries(apps.map((a) => [a.name, "v1"])));
    assert.equal(outputs.health.healthy, true);
    assert.deepEqual(
      outputs.health.members.map((m: { member: string; backends: Array<{ serving: number; total: number }> }) => [m.member, m.backends[0]!.serving, m.backends[0]!.total]),
      pair.members.map((m) => [m, 3, 3]),
    );
    // The apps now running are the stack's: new pids, recorded in the pid files.
    for (const app of apps) assert.notEqual(fleet.pids()[app.name], fromPids[app.name], app.name);
  });

  it("preview of v2 plans the whole chain again (gates update, drains replaced, apps updated) and changes nothing", async function () {
    await stack.setConfig({ version: "v2" });
    const before = await fingerprint(pair);
    const pids = fleet.pids();
    const preview = await stack.preview();
    assert.deepEqual(await fingerprint(pair), before);
    assert.deepEqual(fleet.pids(), pids);
    const ops = operationsByResource(preview.record.events);
    for (const name of CHAIN) {
      const expected = name.includes("-drain-") ? ["create-replacement", "replace", "delete-replaced"] : ["update"];
      assert.deepEqual(ops[name], expected, name);
    }
  });

  it("up v2 under continuous traffic: the same rolling safety, not one failed or 5xx request through either frontend, and every server ends serving v2", async function () {
    const { up, fromPids, watched, traffic } = await deployWatched("v2", true);
    assert.deepEqual(rolloutProblems(watched, { apps, fromPids, toVersion: "v2", batchSize: 1, memberNames: ["lb1", "lb2"] }), []);
    const failed = traffic.filter((t) => t.status !== 200);
    assert.deepEqual(failed.slice(0, 10), [], `${failed.length} of ${traffic.length} requests failed`);
    assert.ok(traffic.length > 50, `traffic flowed during the deploy: ${traffic.length} requests`);
    assert.ok(traffic.some((t) => / v1\n$/.test(t.body)) && traffic.some((t) => / v2\n$/.test(t.body)), "users saw v1, then v2");
    assert.deepEqual(await servedVersions(pair, apps, "v2"), []);

    const ops = operationsByResource(up.record.events);
    for (const name of CHAIN) {
      const expected = name.includes("-drain-") ? ["create-replacement", "replace", "delete-replaced"] : ["update"];
      assert.deepEqual(ops[name], expected, name);
    }
    const outputs = await stack.outputs();
    assert.deepEqual(outputs.versions, Object.fromEntries(apps.map((a) => [a.name, "v2"])));
  });

  it("a gate that cannot pass (lb1 checks server3 on a dead port) fails up v3 with the gate's numbers before anything after it runs: no drain, no app restarted, the other servers keep serving", async function () {
    const lb1 = pair.lbs[0]!;
    const server3 = apps[2]!;
    const dead = await freePort();
    const moved = await lb1.runtime(`set server ${BACKEND}/${server3.name} addr 127.0.0.1 port ${dead}`);
    assert.match(moved, /port changed from/, moved);
    try {
      await lb1.waitForStatus(BACKEND, server3.name, (s) => s === "DOWN", 15_000);
      const stateBefore = await stack.stack.exportStack();
      const drainedAt = drainTimes(stateBefore.deployment);
      const pids = fleet.pids();
      await stack.setConfig({ version: "v3", gate: { timeoutSeconds: 10, intervalSeconds: 0.5 } });

      const watcher = startWatcher(pair, apps);
      let failure: OperationFailed | undefined;
      let ticks: Tick[] = [];
      const started = Date.now();
      try {
        await stack.up({ timeoutMs: 240_000 });
      } catch (error) {
        if (!(error instanceof OperationFailed)) throw error;
        failure = error;
      } finally {
        ({ ticks } = await watcher.stop());
      }
      assert.ok(failure, "up failed");
      const text = `${failure.message}\n${failure.record.text}`;
      const lb1Url = pair.members[0]!.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
      assert.match(text, new RegExp(`gave up waiting for myapp rolling-restart safe \\(80%\\) after [\\d.]+ s; ${lb1Url}: myapp 2/3 serving \\(66\\.7% < 80%\\)`), text);
      assert.ok(!text.includes(`${pair.members[1]}: myapp`), "lb2 is not named as holding the gate back");
      assert.ok(Date.now() - started >= 10_000, "the gate waited its 10 s");

      // Only gate-0 was attempted; everything after it (drains, deployments, later gates) stayed as it was.
      const attempted = Object.entries(operationsByResource(failure.record.events)).filter(([, ops]) => ops.some((op) => op !== "same"));
      assert.deepEqual(attempted, [["rollout-gate-0", ["update"]]]);
      assert.deepEqual(fleet.pids(), pids, "no app was restarted");
      for (const app of apps) assert.equal((await get(app.port)).body, `${app.name} v2\n`);
      assert.deepEqual(drainTimes((await stack.stack.exportStack()).deployment), drainedAt, "no drain was taken anew");
      for (const tick of ticks) {
        assert.deepEqual(tick.errors, []);
        for (const member of ["lb1", "lb2"]) {
          for (const app of apps) {
            const view = tick.members[member]![app.name]!;
            assert.equal(view.admin, "ready", `${member} ${app.name} was never drained: ${JSON.stringify(view)}`);
            if (app !== server3 || member === "lb2") assert.ok(view.serving, `${member} ${app.name} kept serving: ${JSON.stringify(view)}`);
          }
        }
      }
      assert.ok(ticks.length > 100, `the watcher sampled the whole up: ${ticks.length} ticks`);
    } finally {
      await lb1.runtime(`set server ${BACKEND}/${server3.name} addr 127.0.0.1 port ${server3.port}`);
      await stack.setConfig({ gate: FAST_GATE });
      await lb1.waitForStatus(BACKEND, server3.name, (s) => s === "UP", 15_000);
    }
  });

  it("once the cause is fixed, up again runs the failed gate and rolls v3 out safely", async function () {
    const { fromPids, watched } = await deployWatched("v3", false);
    assert.deepEqual(rolloutProblems(watched, { apps, fromPids, toVersion: "v3", batchSize: 1, memberNames: ["lb1", "lb2"] }), []);
    assert.deepEqual(await servedVersions(pair, apps, "v3"), []);
  });

  it("up with nothing changed touches nothing: every step the same, no server or app disturbed", async function () {
    const before = await fingerprint(pair);
    const pids = fleet.pids();
    const up = await stack.up();
    assert.deepEqual(Object.values(operationsByResource(up.record.events)).flat().filter((op) => op !== "same"), []);
    assert.deepEqual(await fingerprint(pair), before);
    assert.deepEqual(fleet.pids(), pids);
  });

  it("destroy stops every app and leaves HAProxy's admin state alone; no engine output and no file of the stack ever held the stats password in plaintext", async function () {
    // `pulumi stack export` (secrets encrypted) and the same with --show-secrets (the Automation API's).
    const state = JSON.stringify(await stack.exportEncrypted());
    const decrypted = await stack.stack.exportStack();
    const pids = fleet.pids();
    await stack.destroy();
    for (const app of apps) {
      assert.equal(fs.existsSync(path.join(fleet.stateDir, `app-${app.port}.pid`)), false, `${app.name} pid file`);
      await assert.rejects(get(app.port), /ECONNREFUSED/);
      assert.equal(appProcess.isOurApp(pids[app.name]!, app.port), false, `${app.name}'s app (pid ${pids[app.name]}) has exited`);
    }
    // DOWN (checks fail), never DRAIN or MAINT: the drains of a rolling deploy are steps.
    for (const app of apps) await waitEverywhere(pair, app.name, "DOWN", (s) => s === "DOWN");
    const admin = await fingerprint(pair);
    for (const [key, value] of Object.entries(admin)) if (key.endsWith(" admin")) assert.match(value, /^bits 0 /, key);

    // Every gate and drain got the password (their drains and ready went through the stats pages): decrypted, it is the
    // stack's; as exported, it is ciphertext.
    const withPassword = (decrypted.deployment.resources ?? []).filter((r: { inputs?: { password?: unknown } }) => r.inputs?.password !== undefined);
    assert.deepEqual(withPassword.map((r: { urn: string }) => r.urn.split("::").pop()).sort(), CHAIN.filter((n) => !n.startsWith("deploy-")).sort());
    for (const r of withPassword) assert.equal(r.inputs.password.plaintext, JSON.stringify(password), r.urn);
    const encrypted = (JSON.parse(state).deployment.resources ?? []).filter((r: { inputs?: { password?: unknown } }) => r.inputs?.password !== undefined);
    for (const r of encrypted) {
      assert.equal(typeof r.inputs.password.ciphertext, "string", `${r.urn}: input password is ciphertext`);
      assert.equal(typeof r.outputs.password.ciphertext, "string", `${r.urn}: output password is ciphertext`);
    }
    const files = [...(await filesUnder(stack.dirs.backend)), ...(await filesUnder(stack.dirs.home))];
    for (const form of secretForms(password)) {
      assert.ok(!state.includes(form), "stack export");
      for (const record of stack.records) {
        assert.ok(!record.text.includes(form), `output of ${record.operation}`);
        assert.ok(!JSON.stringify(record.events).includes(form), `events of ${record.operation}`);
        assert.ok(!(record.error?.message ?? "").includes(form), `error of ${record.operation}`);
      }
      for (const f of files) assert.ok(!f.text.includes(form), f.file);
    }
  });
});

/** Each ServerDrain's drainedAt in a stack export, by URN. */
function drainTimes(deployment: { resources?: Array<{ urn: string; type: string; outputs?: Record<string, unknown> }> }): Record<string, unknown> {
  return Object.fromEntries((deployment.resources ?? []).filter((r) => r.type.endsWith(":ServerDrain")).map((r) => [r.urn, r.outputs?.drainedAt]));
}
