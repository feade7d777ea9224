// RollingRestart's provider methods called the way the engine calls them, against two real
// HAProxy members in front of three real apps (the example's app.js, started by pid file),
// restarted by a real command (restart-app-main.js) that learns its server from HC_*.
import { strict as assert } from "node:assert";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import util from "node:util";
import { rollingRestart, UNKNOWN } from "../../provider/pulumi/impl";
import { output, type RollingRestartOutputs } from "../../provider/pulumi/impl/rolling-restart";
import { waitFor } from "../support/deadline";
import { memberSpec } from "../support/member-specs";
import { startTraffic } from "../support/traffic";
import {
  BACKEND,
  appSpecs,
  newPassword,
  rolloutProblems,
  runtimeAction,
  startApps,
  startPair,
  startWatcher,
  statuses,
  waitAllUp,
  type AppFleet,
  type AppSpec,
  type Pair,
} from "../e2e/helpers";
import { rejection } from "./helpers";

const PROVIDER_TEXT = "exports.handler = function () { /* the serialized provider */ };";
const RESTART_APP = path.join(__dirname, "..", "support", "restart-app-main.js");
/** Gate settings that take about a second instead of six. */
const FAST_GATE = { intervalSeconds: 0.5, minChecks: 2 } as const;

type Outs = RollingRestartOutputs & Record<string, unknown>;

describe("RollingRestart's check and diff", function () {
  const members = ["unix:/run/haproxy/lb1.sock", "tcp://10.0.0.2:9999"];
  const inputs = (extra: Record<string, unknown> = {}) => ({ members, backend: "myapp", command: ["systemctl", "restart", "app"], ...extra });

  it("applies every default, ServerDrain's and the gate's included, and keeps what was given", function () {
    const { inputs: checked, failures } = rollingRestart.check({}, inputs({ batchSize: 2, __provider: PROVIDER_TEXT }));
    assert.deepEqual(failures, []);
    assert.deepEqual(checked, {
      members,
      backend: "myapp",
      command: ["systemctl", "restart", "app"],
      commandTimeoutSeconds: 300,
      batchSize: 2,
      mode: "drain",
      drainTimeoutSeconds: 120,
      waitForSessions: false,
      sessionsTimeoutSeconds: 60,
      onSessionsTimeout: "fail",
      restoreTimeoutSeconds: 120,
      minOtherServing: 1,
      force: false,
      thresholdPercent: 80,
      minChecks: 3,
      intervalSeconds: 2,
      gateTimeoutSeconds: 300,
      requestTimeoutSeconds: 5,
      dangerouslySkipTlsVerify: false,
      dangerouslyAcceptUnknownHostKey: false,
      __provider: PROVIDER_TEXT,
    });
  });

  it("refuses a missing or empty command and a batch size below 1, naming the input", function () {
    assert.deepEqual(rollingRestart.check({}, { members, backend: "myapp" }).failures.map((f) => f.property), ["command"]);
    assert.deepEqual(rollingRestart.check({}, inputs({ command: [] })).failures.map((f) => f.property), ["command"]);
    assert.deepEqual(rollingRestart.check({}, inputs({ command: "systemctl restart app" })).failures.map((f) => f.property), ["command"]);
    assert.deepEqual(rollingRestart.check({}, inputs({ batchSize: 0 })).failures.map((f) => f.property), ["batchSize"]);
    assert.deepEqual(rollingRestart.check({}, inputs({ commandTimeout: 5 })).failures.map((f) => f.property), ["commandTimeout"]);
  });

  it("tolerates preview's unknown value in the command and the triggers", function () {
    for (const [property, value] of [["command", UNKNOWN], ["command", ["restart", UNKNOWN]], ["triggers", [UNKNOWN]]] as const) {
      const { inputs: checked, failures } = rollingRestart.check({}, inputs({ [property]: value }));
      assert.deepEqual(failures, [], `${property} ${JSON.stringify(value)}`);
      assert.deepEqual(checked[property], value);
    }
  });

  it("asks for an update (never a replace) when triggers, command or servers change, or the last run stopped", function () {
    const olds = { ...rollingRestart.check({}, inputs({ triggers: ["v1"] })).inputs, restarts: {}, drainedServers: [], startedAt: "t", completedAt: "t" };
    assert.deepEqual(rollingRestart.diff("id", olds, inputs({ triggers: ["v1"] })), { changes: false, replaces: [] });
    for (const change of [{ triggers: ["v2"] }, { command: ["true"] }, { servers: ["server1"] }]) {
      assert.deepEqual(rollingRestart.diff("id", olds, inputs({ triggers: ["v1"], ...change })), { changes: true, replaces: [] }, JSON.stringify(change));
    }
    const stopped = { ...olds, completedAt: undefined, drainedServers: ["server1"] };
    assert.deepEqual(rollingRestart.diff("id", stopped, inputs({ triggers: ["v1"] })), { changes: true, replaces: [] });
  });
});

describe("RollingRestart against two real HAProxy members and three real apps", function () {
  this.timeout(180_000);
  let apps: AppSpec[];
  let fleet: AppFleet;
  let pair: Pair;
  let members: string[];
  let lines: Array<{ stream: string; text: string }>;
  const originalLine = output.line;
  const password = newPassword();

  const restartTo = (version: string): string[] => [process.execPath, RESTART_APP, "--state-dir", fleet.stateDir, "--version", version];
  const props = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
    members,
    backend: BACKEND,
    command: restartTo("v1"),
    ...FAST_GATE,
    __provider: PROVIDER_TEXT,
    ...extra,
  });
  const versions = async (): Promise<Record<string, string>> => {
    const { appProcess } = await import("../e2e/helpers");
    const out: Record<string, string> = {};
    for (const app of apps) out[app.name] = (await appProcess.probe("127.0.0.1", app.port))?.version ?? "none";
    return out;
  };

  before(async function () {
    this.timeout(60_000);
    apps = await appSpecs();
    fleet = await startApps(apps, "v0", "restart");
    pair = await startPair(apps, password);
    await waitAllUp(pair, apps);
    // lb1 over its admin socket, lb2 over TCP: both show each server's address.
    members = [memberSpec(pair.lbs[0]!, "unix"), memberSpec(pair.lbs[1]!, "tcp")];
  });
  after(async function () {
    await pair?.stop();
    await fleet?.stop();
  });
  beforeEach(function () {
    lines = [];
    output.line = (stream, text) => void lines.push({ stream, text });
  });
  afterEach(async function () {
    output.line = originalLine;
    // Every app running, every server ready on every member: each test starts serving.
    const { appProcess } = await import("../e2e/helpers");
    for (const app of apps) {
      if (!(await appProcess.probe("127.0.0.1", app.port))) {
        const { inputs } = appProcess.checkAppInputs({ ...app, version: "v0", stateDir: fleet.stateDir, script: appProcess.APP_SCRIPT });
        await appProcess.startApp(inputs);
      }
    }
    for (const lb of pair.lbs) for (const app of apps) await runtimeAction(lb, `set server ${BACKEND}/${app.name} state ready`);
    await waitAllUp(pair, apps);
  });

  it("restarts the three servers one at a time under traffic: no request fails, each is drained before its app stops and serving again before the next is drained", async function () {
    const fromPids = fleet.pids();
    const watcher = startWatcher(pair, apps);
    const traffic = startTraffic({ urls: pair.lbs.map((lb) => lb.frontendUrl) });
    let outs: Outs;
    try {
      ({ outs } = (await rollingRestart.create(props({ triggers: ["v1"] }))) as unknown as { id: string; outs: Outs });
    } finally {
      await traffic.stop();
    }
    const watched = await watcher.stop();
    assert.deepEqual(Object.fromEntries(traffic.counts), { "200": traffic.total }, "every request answered 200");
    assert.ok(traffic.total > 100, `traffic flowed (${traffic.total} requests)`);
    assert.deepEqual(rolloutProblems(watched, { apps, fromPids, toVersion: "v1", batchSize: 1, memberNames: ["lb1", "lb2"] }), []);
    assert.deepEqual(await versions(), { server1: "v1", server2: "v1", server3: "v1" });

    assert.deepEqual(outs.drainedServers, []);
    assert.ok(outs.completedAt);
    assert.deepEqual(Object.keys(outs.restarts), ["server1", "server2", "server3"]);
    for (const [i, app] of apps.entries()) {
      const r = outs.restarts[app.name]!;
      assert.equal(r.outcome, "restarted", app.name);
      assert.equal(r.batch, i + 1);
      assert.equal(r.commandExitCode, 0);
      assert.equal(r.leftDrained, false);
      assert.equal(r.drainedOn!.length, 2, `${app.name} drained on both members`);
      assert.ok(Date.parse(r.drainedAt!) <= Date.parse(r.restartedAt!), `${app.name} drained before back`);
      if (i > 0) assert.ok(Date.parse(outs.restarts[apps[i - 1]!.name]!.restartedAt!) <= Date.parse(r.drainedAt!), `${apps[i - 1]!.name} back before ${app.name} drained`);
    }
    // The command's output, by server, with the address it was given in the environment.
    for (const app of apps) {
      assert.ok(lines.some((l) => l.stream === "stdout" && l.text === `[${app.name}] restarting ${app.name} on 127.0.0.1:${app.port} as v1`), JSON.stringify(lines));
    }
  });

  it("runs again on a trigger change, and records a deadline change without restarting anything", async function () {
    const { id, outs } = (await rollingRestart.create(props({ triggers: ["v1"] }))) as unknown as { id: string; outs: Outs };
    const afterFirst = fleet.pids();

    const tuned = props({ triggers: ["v1"], commandTimeoutSeconds: 60 });
    assert.equal(rollingRestart.diff(id, outs, tuned).changes, true);
    const { outs: recorded } = await rollingRestart.update(id, outs, tuned);
    assert.deepEqual(fleet.pids(), afterFirst, "no app restarted for a new deadline");
    assert.equal(recorded.commandTimeoutSeconds, 60);
    assert.equal(recorded.startedAt, outs.startedAt, "the record of the run that happened is kept");

    const next = props({ triggers: ["v2"], command: restartTo("v2") });
    assert.deepEqual(rollingRestart.diff(id, recorded, next), { changes: true, replaces: [] });
    const { outs: again } = (await rollingRestart.update(id, recorded, next)) as unknown as { outs: Outs };
    assert.deepEqual(await versions(), { server1: "v2", server2: "v2", server3: "v2" });
    for (const app of apps) assert.notEqual(fleet.pids()[app.name], afterFirst[app.name], app.name);
    assert.deepEqual(Object.values(again.restarts).map((r) => r.outcome), ["restarted", "restarted", "restarted"]);
    assert.notEqual(again.startedAt, outs.startedAt);
  });

  it("stops after the first server when its command fails, leaving it drained and recorded; the next update restarts it first and carries on", async function () {
    const pids = fleet.pids();
    // A plugin passes its own log (the engine's Log RPC): every line goes there instead.
    const hostLines: Array<{ stream: string; text: string }> = [];
    const hostLog = (stream: "stdout" | "stderr", text: string): void => void hostLines.push({ stream, text });
    const error = await rejection(rollingRestart.create(props({ command: ["sh", "-c", 'echo "cannot restart $HAPROXY_SERVER_NAME" >&2; exit 3'] }), { log: hostLog }));
    assert.equal(error.code, "HC_COMMAND_FAILED");
    assert.match(error.message, /server1: sh exited with status 3/);
    assert.match(error.message, /myapp\/server1: it stays out of rotation on/);
    assert.match(error.message, /haproxy-cluster ready --backend myapp --server server1 --wait/);
    const recorded = error.properties as Outs;
    assert.equal(recorded.__provider, PROVIDER_TEXT, "the record can be updated and deleted later");
    assert.deepEqual(recorded.drainedServers, ["server1"]);
    assert.equal(recorded.completedAt, undefined);
    assert.deepEqual(Object.keys(recorded.restarts), ["server1"], "nothing after the first server was touched");
    assert.equal(recorded.restarts.server1!.outcome, "failed");
    assert.equal(recorded.restarts.server1!.commandExitCode, 3);
    assert.equal(recorded.restarts.server1!.leftDrained, true);
    assert.deepEqual(await statuses(pair, "server1"), ["DRAIN", "DRAIN"]);
    assert.deepEqual(await statuses(pair, "server2"), ["UP", "UP"]);
    assert.deepEqual(await statuses(pair, "server3"), ["UP", "UP"]);
    assert.deepEqual(fleet.pids(), pids, "no app was restarted");
    assert.ok(hostLines.some((l) => l.stream === "stderr" && l.text === "[server1] cannot restart server1"), JSON.stringify(hostLines));
    assert.deepEqual(lines, [], "nothing on the process's own streams");

    // Fixed: the next up (an update of the record) starts with server1, which is out already.
    const fixed = props();
    assert.equal(rollingRestart.diff("id", recorded, fixed).changes, true);
    const { outs } = (await rollingRestart.update("id", recorded, fixed)) as unknown as { outs: Outs };
    assert.deepEqual(outs.drainedServers, []);
    assert.ok(outs.completedAt);
    assert.deepEqual(Object.entries(outs.restarts).map(([s, r]) => [s, r.batch, r.outcome]), [
      ["server1", 1, "restarted"],
      ["server2", 2, "restarted"],
      ["server3", 3, "restarted"],
    ]);
    assert.deepEqual(await versions(), { server1: "v1", server2: "v1", server3: "v1" });
  });

  it("ends the command's whole process group at its deadline, leaves the server drained, and delete puts it back on fresh checks", async function () {
    const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), "restart-deadline-"));
    const pidFile = path.join(dir, "background.pid");
    const started = Date.now();
    const error = await rejection(rollingRestart.create(props({ commandTimeoutSeconds: 1, command: ["sh", "-c", `sleep 60 & echo $! > '${pidFile}'; sleep 60`] })));
    assert.ok(Date.now() - started < 30_000, "the run stopped at the deadline");
    assert.equal(error.code, "HC_COMMAND_FAILED");
    assert.match(error.message, /sh did not finish within 1 s \(commandTimeoutSeconds\)/);
    const recorded = error.properties as Outs;
    assert.equal(recorded.restarts.server1!.commandTimedOut, true);
    assert.deepEqual(recorded.drainedServers, ["server1"]);
    const background = Number(fs.readFileSync(pidFile, "utf8"));
    await waitFor(`the command's background sleep (pid ${background}) to be gone`, async () => {
      try {
        process.kill(background, 0);
        return undefined;
      } catch {
        return true;
      }
    });
    assert.deepEqual(await statuses(pair, "server1"), ["DRAIN", "DRAIN"]);

    // Refresh keeps the record while the server is out; delete puts it back.
    const { props: refreshed } = await rollingRestart.read("id", recorded);
    assert.deepEqual(refreshed.drainedServers, ["server1"]);
    await rollingRestart.remove("id", recorded);
    assert.deepEqual(await statuses(pair, "server1"), ["UP", "UP"]);
    await fs.promises.rm(dir, { recursive: true, force: true });
  });

  it("holds the drain while the command runs: a member reloaded meanwhile has the server drained again, and the record says so", async function () {
    const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), "restart-reload-"));
    const startedFile = path.join(dir, "started");
    const goFile = path.join(dir, "go");
    const run = rollingRestart.create(
      props({ servers: ["server2"], command: ["sh", "-c", `touch '${startedFile}'; while [ ! -e '${goFile}' ]; do sleep 0.05; done`] }),
    ) as unknown as Promise<{ outs: Outs }>;
    run.catch(() => undefined);
    await waitFor("the command to start", async () => (fs.existsSync(startedFile) ? true : undefined));
    const lb1 = pair.lbs[0]!;
    await lb1.reload();
    // The reloaded lb1 starts from its configuration (server2 ready); the hold drains it again.
    await lb1.waitForStatus(BACKEND, "server2", (s) => s === "DRAIN", 15_000);
    fs.writeFileSync(goFile, "");
    const { outs } = await run;
    assert.equal(outs.restarts.server2!.outcome, "restarted");
    const warnings = outs.restarts.server2!.reloadWarnings ?? [];
    assert.equal(warnings.length, 1, JSON.stringify(warnings));
    assert.match(warnings[0]!, /lb1|admin\.sock/);
    assert.match(warnings[0]!, /drained again/);
    assert.deepEqual(await statuses(pair, "server2"), ["UP", "UP"]);
    await fs.promises.rm(dir, { recursive: true, force: true });
  });

  it("never hands the stats password to the command, its output or the error", async function () {
    const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), "restart-secrets-"));
    const envFile = path.join(dir, "env");
    const saved = process.env.HAPROXY_CLUSTER_PASSWORD;
    // The stats pages (with a password) as members, the password from the environment.
    process.env.HAPROXY_CLUSTER_PASSWORD = password;
    try {
      const { outs } = (await rollingRestart.create(
        props({ members: pair.members, username: "admin", servers: ["server3"], command: ["sh", "-c", `env > '${envFile}'; env`] }),
      )) as unknown as { outs: Outs };
      const env = fs.readFileSync(envFile, "utf8");
      assert.match(env, /^HAPROXY_SERVER_NAME=server3$/m);
      assert.match(env, /^HAPROXY_PROXY_NAME=myapp$/m);
      // The stats page shows no addresses without `stats show-legends`: empty, not guessed.
      assert.match(env, /^HAPROXY_SERVER_ADDR=$/m);
      assert.ok(lines.some((l) => l.text.includes("no member shows the address of server3")), JSON.stringify(lines));
      assert.ok(!env.includes(password), "the command's environment holds no password");
      assert.ok(!JSON.stringify(lines).includes(password), "nor does Pulumi's log");
      assert.ok(!JSON.stringify(outs).includes(password), "nor do the outputs");

      // With the password as an input: a failure's message and printed form hold none.
      delete process.env.HAPROXY_CLUSTER_PASSWORD;
      const error = await rejection(rollingRestart.create(props({ members: pair.members, username: "admin", password, servers: ["server3"], command: ["false"] })));
      assert.equal(error.code, "HC_COMMAND_FAILED");
      for (const text of [error.message, util.inspect(error), JSON.stringify(error), JSON.stringify(lines)]) assert.ok(!text.includes(password), text);
    } finally {
      if (saved === undefined) delete process.env.HAPROXY_CLUSTER_PASSWORD;
      else process.env.HAPROXY_CLUSTER_PASSWORD = saved;
      await fs.promises.rm(dir, { recursive: true, force: true });
    }
  });
});
