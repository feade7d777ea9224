// A Pulumi YAML program with the installed plugin tarball: a RollingRestart of the three
// servers of the two-member rig (lb1 over its stats page with a password, lb2 over its admin
// socket, which shows the servers' addresses) under traffic, the restart command an argv
// (test/support/restart-app-main.js restarts each app at a new version). Real `pulumi up`,
// `refresh` and `destroy`. The command's output reaches `pulumi up`'s output through the
// engine's diagnostics, tagged with the resource (a plugin's stderr is hidden).
import { strict as assert } from "node:assert";
import fs from "node:fs";
import path from "node:path";
import { memberSpec } from "../support/member-specs";
import { createStack, OperationFailed, type TestStack } from "../support/pulumi-stack";
import { startTraffic } from "../support/traffic";
import {
  FAST_GATE,
  BACKEND,
  SETUP_TIMEOUT_MS,
  STATS_USER,
  appProcess,
  appSpecs,
  newPassword,
  operationsByResource,
  prepareProjects,
  rolloutProblems,
  startApps,
  startPair,
  startWatcher,
  statuses,
  waitAllUp,
  type AppFleet,
  type AppSpec,
  type Pair,
} from "../e2e/helpers";
import { PLUGIN_VERSION, pluginTarball, pulumiCli, removeTemp, RUN_ON, tempDir } from "./helpers";

const RESTART_APP = path.join(__dirname, "..", "support", "restart-app-main.js");

/** The program: one RollingRestart of every server of the backend, to `version`; `command` is an argv. */
function yamlProgram(members: string[], command: string[], version: string): string {
  return `name: haproxy-yaml-restart
runtime: yaml
description: Restarts a backend's servers one at a time, from Pulumi YAML.
config:
  statsUser:
    type: string
  statsPassword:
    type: string
resources:
  restart:
    type: haproxy-cluster:index:RollingRestart
    properties:
      members:
${members.map((m) => `        - ${m}`).join("\n")}
      username: \${statsUser}
      password: \${statsPassword}
      backend: ${BACKEND}
      command:
${command.map((arg) => `        - ${JSON.stringify(arg)}`).join("\n")}
      batchSize: 1
      minChecks: ${FAST_GATE.minChecks}
      intervalSeconds: ${FAST_GATE.intervalSeconds}
      triggers:
        - ${version}
outputs:
  drainedServers: \${restart.drainedServers}
  completedAt: \${restart.completedAt}
  restarts: \${restart.restarts}
`;
}

describe(`plugin e2e: a RollingRestart from a Pulumi YAML program with the installed plugin tarball, under traffic, pulumi up, refresh and destroy (${RUN_ON})`, function () {
  this.timeout(600_000);
  const password = newPassword();
  let apps: AppSpec[];
  let fleet: AppFleet;
  let pair: Pair;
  let members: string[];
  let projectDir: string;
  let stack: TestStack;
  const restartTo = (version: string): string[] => [process.execPath, RESTART_APP, "--state-dir", fleet.stateDir, "--version", version];
  const versions = async (): Promise<string[]> => Promise.all(apps.map(async (app) => (await appProcess.probe("127.0.0.1", app.port))?.version ?? "none"));
  const writeProgram = (version: string): Promise<void> => fs.promises.writeFile(path.join(projectDir, "Pulumi.yaml"), yamlProgram(members, restartTo(version), version));

  before(async function () {
    this.timeout(SETUP_TIMEOUT_MS);
    await prepareProjects();
    projectDir = await tempDir("yaml-restart");
    apps = await appSpecs();
    fleet = await startApps(apps, "v0", "plugin-yaml-restart");
    pair = await startPair(apps, password);
    await waitAllUp(pair, apps);
    members = [pair.members[0]!, memberSpec(pair.lbs[1]!, "unix")];
    await writeProgram("v1");
    stack = await createStack({ projectDir, label: "plugin-yaml-restart", config: { statsUser: STATS_USER }, secrets: { statsPassword: password } });
    await pulumiCli(stack, ["plugin", "install", "resource", "haproxy-cluster", PLUGIN_VERSION, "--file", await pluginTarball()]);
  });

  after(async function () {
    try {
      await stack?.cleanup();
    } finally {
      await pair?.stop();
      await fleet?.stop();
      await removeTemp(projectDir);
    }
  });

  it("up restarts the three servers one at a time under traffic with no failed request, and the command's lines show in up's output, tagged with the resource", async function () {
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
    assert.ok(traffic.total > 0, "traffic ran");
    assert.deepEqual(Object.fromEntries(traffic.counts), { "200": traffic.total }, "every request answered 200");
    assert.deepEqual(rolloutProblems(watched, { apps, fromPids, toVersion: "v1", batchSize: 1, memberNames: ["lb1", "lb2"] }), []);
    assert.deepEqual(await versions(), ["v1", "v1", "v1"]);
    assert.deepEqual(operationsByResource(up.record.events), { restart: ["create"] });

    const diagnostics = up.record.events.flatMap((e) => (e.diagnosticEvent ? [e.diagnosticEvent] : []));
    for (const app of apps) {
      const line = `[${app.name}] restarting ${app.name} on 127.0.0.1:${app.port} as v1`;
      assert.ok(up.record.text.includes(line), `up's output shows the command's line ${line}:\n${up.record.text}`);
      const event: { urn?: string; severity: string } | undefined = diagnostics.find((d) => d.message.includes(line));
      assert.ok(event?.urn?.endsWith("::restart"), `the line is the restart resource's diagnostic: ${JSON.stringify(event)}`);
      assert.equal(event?.severity, "info");
    }
    assert.ok(diagnostics.some((d) => /RollingRestart \S+: /.test(d.message)), "the progress lines show too");
    assert.ok(!up.record.text.includes(password), "up printed the password");

    const outputs = await stack.outputs();
    assert.deepEqual(outputs.drainedServers, []);
    assert.equal(typeof outputs.completedAt, "string");
    const restarts = outputs.restarts as Record<string, { outcome: string; commandExitCode: number }>;
    assert.deepEqual(Object.entries(restarts).map(([s, r]) => [s, r.outcome, r.commandExitCode]), apps.map((a) => [a.name, "restarted", 0]));
  });

  it("a failing command stops the up with the server left drained, its stderr a warning in up's output; fixed at a new version, up restarts all again; refresh changes nothing; destroy leaves every server serving", async function () {
    const before = fleet.pids();
    await fs.promises.writeFile(path.join(projectDir, "Pulumi.yaml"), yamlProgram(members, ["sh", "-c", 'echo "no $HAPROXY_SERVER_NAME today" >&2; exit 4'], "v2"));
    const failed = await stack.up().then(
      () => assert.fail("the up should have failed"),
      (error: unknown) => error,
    );
    assert.ok(failed instanceof OperationFailed, String(failed));
    assert.match(failed.record.text, /server1: sh exited with status 4/);
    const warning = failed.record.events.find((e) => e.diagnosticEvent?.message.includes("[server1] no server1 today"))?.diagnosticEvent;
    assert.equal(warning?.severity, "warning", `the command's stderr is a warning diagnostic: ${JSON.stringify(warning)}`);
    assert.ok(failed.record.text.includes("[server1] no server1 today"), failed.record.text);
    assert.deepEqual(await statuses(pair, "server1"), ["DRAIN", "DRAIN"]);
    assert.deepEqual(fleet.pids(), before, "nothing restarted");

    await writeProgram("v2");
    const bumped = await stack.up();
    assert.deepEqual(operationsByResource(bumped.record.events), { restart: ["update"] });
    assert.deepEqual(await versions(), ["v2", "v2", "v2"]);
    for (const app of apps) assert.notEqual(fleet.pids()[app.name], before[app.name], app.name);

    const refresh = await stack.refresh();
    assert.deepEqual(refresh.summary.resourceChanges, { same: 2 });
    const pids = fleet.pids();
    const destroy = await stack.destroy();
    assert.deepEqual(operationsByResource(destroy.record.events), { restart: ["delete"] });
    assert.deepEqual(fleet.pids(), pids, "destroy restarts nothing");
    for (const app of apps) assert.deepEqual(await statuses(pair, app.name), ["UP", "UP"], app.name);
  });
});
