// examples/rolling-deploy under Pulumi mocks: the chain of resources it declares, with
// their dependencies, triggers and secrets; and its AppServerDeployment provider loaded
// from the serialized text, running a real app.

import { strict as assert } from "node:assert";
import { execFile } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { FAST_CHECKS } from "../pulumi/helpers";
import { startHaproxy, type HaproxyInstance } from "../support/haproxy";
import { waitFor } from "../support/deadline";
import { freePort } from "../support/ports";
import { MiniEngine, type Step } from "./engine";
import { EXAMPLES_DIR, ofKind, outputsOf, resource, runProgram, startProviderHost, type MockRunResult, type ProviderHost } from "./harness";

const EXAMPLE_DIR = path.join(EXAMPLES_DIR, "rolling-deploy");

const PASSWORD = "s3cret-stats-password";
const MEMBERS = ["http://127.0.0.1:8404/stats", "unix:/tmp/haproxy-cluster-demo/lb2.sock"];
const SERVERS = [
  { name: "server1", port: 9001 },
  { name: "server2", port: 9002 },
  { name: "server3", port: 9003 },
];

function rollingDeploy(config: Record<string, unknown> = {}, options: { preview?: boolean } = {}): Promise<MockRunResult> {
  return runProgram({
    program: "examples/rolling-deploy/index.js",
    projectDir: "examples/rolling-deploy",
    project: "haproxy-cluster-rolling-deploy",
    config: { members: MEMBERS, statsPassword: PASSWORD, servers: SERVERS, version: "v2", ...config },
    secretKeys: ["statsPassword"],
    preview: options.preview,
  });
}

/** Each custom resource's name with the names it depends on (registration order is not deterministic). */
function dependencyGraph(result: MockRunResult): Record<string, string[]> {
  return Object.fromEntries(result.resources.filter((r) => r.custom).map((r) => [r.name, [...r.dependencies].sort()]));
}

/** The order a graph that is one path forces: from the resource depending on nothing, to its only dependent, and so on. */
function pathOrder(graph: Record<string, string[]>): string[] {
  const roots = Object.keys(graph).filter((name) => graph[name]!.length === 0);
  assert.equal(roots.length, 1, `one resource depends on nothing: ${roots.join(", ")}`);
  const order = [roots[0]!];
  for (;;) {
    const next = Object.keys(graph).filter((name) => graph[name]!.includes(order[order.length - 1]!));
    if (next.length === 0) return order;
    assert.equal(next.length, 1, `${order[order.length - 1]} has one dependent, not ${next.join(", ")}`);
    order.push(next[0]!);
  }
}

describe("examples/rolling-deploy under Pulumi mocks", function () {
  let batchOfOne: MockRunResult;

  before(async function () {
    batchOfOne = await rollingDeploy();
  });

  it("declares gate-0 → drain → deploy → gate for each server in config order, each step depending only on the step before", function () {
    const graph = dependencyGraph(batchOfOne);
    assert.deepEqual(pathOrder(graph), [
      "rollout-gate-0",
      "rollout-drain-server1",
      "deploy-server1",
      "rollout-gate-1",
      "rollout-drain-server2",
      "deploy-server2",
      "rollout-gate-2",
      "rollout-drain-server3",
      "deploy-server3",
      "rollout-gate-3",
    ]);
    for (const [name, dependencies] of Object.entries(graph)) assert.ok(dependencies.length <= 1, `${name} depends on one step only: ${dependencies.join(", ")}`);
    for (const r of batchOfOne.resources.filter((x) => x.custom)) assert.equal(r.parent, "rollout", `${r.name} is a child of the RollingDeploy component`);
    assert.equal(resource(batchOfOne, "rollout").type, "haproxy-cluster:index:RollingDeploy");
  });

  it("has each gate put back the server deployed just before it, and the first gate put back none", function () {
    assert.deepEqual(
      ofKind(batchOfOne, "ClusterReadinessGate").map((g) => [g.name, g.inputs.readyServers]).sort(),
      [
        ["rollout-gate-0", []],
        ["rollout-gate-1", ["server1"]],
        ["rollout-gate-2", ["server2"]],
        ["rollout-gate-3", ["server3"]],
      ],
    );
  });

  it("takes each server out as a rolling-deploy step (lifetime step) and ties drains and gates to the version through triggers", function () {
    const drains = ofKind(batchOfOne, "ServerDrain").sort((a, b) => a.name.localeCompare(b.name));
    assert.deepEqual(drains.map((d) => [d.inputs.server, d.inputs.backend, d.inputs.lifetime, d.inputs.triggers]), [
      ["server1", "myapp", "step", ["v2"]],
      ["server2", "myapp", "step", ["v2"]],
      ["server3", "myapp", "step", ["v2"]],
    ]);
    for (const gate of ofKind(batchOfOne, "ClusterReadinessGate")) {
      assert.deepEqual([gate.inputs.backend, gate.inputs.triggers], ["myapp", ["v2"]], gate.name);
    }
    for (const r of [...drains, ...ofKind(batchOfOne, "ClusterReadinessGate")]) assert.deepEqual(r.inputs.members, MEMBERS, r.name);
  });

  it("deploys each server's app on its own port with the configured version, relative to the project directory", function () {
    const deployments = ofKind(batchOfOne, "AppServerDeployment").sort((a, b) => a.name.localeCompare(b.name));
    assert.deepEqual(
      deployments.map((d) => [d.name, d.inputs.name, d.inputs.port, d.inputs.version, d.inputs.script]),
      SERVERS.map((s) => [`deploy-${s.name}`, s.name, s.port, "v2", "app.js"]),
    );
    assert.equal(deployments[0]!.type, "pulumi-nodejs:dynamic/haproxy-cluster-demo:AppServerDeployment");
    assert.equal(deployments[0]!.inputs.stateDir, path.join(os.tmpdir(), "haproxy-cluster-demo"), "the default state dir");
  });

  it("sends the stats password to every gate and drain as a secret, kept secret in their outputs, and nowhere else", function () {
    const withPassword = batchOfOne.resources.filter((r) => r.inputs.password !== undefined);
    assert.deepEqual(
      withPassword.map((r) => r.name).sort(),
      [...ofKind(batchOfOne, "ClusterReadinessGate"), ...ofKind(batchOfOne, "ServerDrain")].map((r) => r.name).sort(),
    );
    for (const r of withPassword) {
      assert.equal(r.inputs.password, PASSWORD, r.name);
      assert.deepEqual(r.secretInputs, ["password"], `${r.name}: only the password is secret`);
      assert.ok(r.additionalSecretOutputs.includes("password"), `${r.name}: additionalSecretOutputs ${JSON.stringify(r.additionalSecretOutputs)}`);
    }
    assert.ok(!JSON.stringify(outputsOf(batchOfOne)).includes(PASSWORD), "no stack output holds the password");
  });

  it("sends no password at all when statsPassword is not set (the provider then reads HAPROXY_CLUSTER_PASSWORD)", async function () {
    const result = await rollingDeploy({ statsPassword: undefined });
    outputsOf(result);
    for (const r of result.resources) assert.equal(r.inputs.password, undefined, r.name);
  });

  it("passes statsUser, gate and drain settings from config to every gate and drain", async function () {
    const result = await rollingDeploy({ statsUser: "ops", gate: { thresholdPercent: 100, timeoutSeconds: 90 }, drain: { waitForSessions: true, sessionsTimeoutSeconds: 20 } });
    for (const gate of ofKind(result, "ClusterReadinessGate")) {
      assert.deepEqual([gate.inputs.username, gate.inputs.thresholdPercent, gate.inputs.timeoutSeconds], ["ops", 100, 90], gate.name);
    }
    for (const drain of ofKind(result, "ServerDrain")) {
      assert.deepEqual([drain.inputs.username, drain.inputs.waitForSessions, drain.inputs.sessionsTimeoutSeconds], ["ops", true, 20], drain.name);
    }
  });

  it("passes config analysis to every gate that puts servers back, not to the first, and a bad release's failPercent to every app", async function () {
    const result = await rollingDeploy({ analysis: { bakeSeconds: 10, onFailure: "drain" }, failPercent: 20 });
    assert.deepEqual(
      ofKind(result, "ClusterReadinessGate").map((g) => [g.name, g.inputs.analysis]).sort(),
      [["rollout-gate-0", undefined], ...["1", "2", "3"].map((i) => [`rollout-gate-${i}`, { bakeSeconds: 10, onFailure: "drain" }])],
    );
    for (const d of ofKind(result, "AppServerDeployment")) assert.equal(d.inputs.failPercent, 20, d.name);
    const typo = await rollingDeploy({ analysis: { bakeSecond: 10 } });
    assert.match(typo.error ?? "", /config analysis: unknown setting bakeSecond/);
  });

    it("with batchSize 2 takes server1 and server2 out together (drains one after the other), then server3", async function () {
    const result = await rollingDeploy({ batchSize: 2 });
    assert.deepEqual(dependencyGraph(result), {
      "rollout-gate-0": [],
      "rollout-drain-server1": ["rollout-gate-0"],
      "deploy-server1": ["rollout-drain-server1"],
      "rollout-drain-server2": ["rollout-drain-server1"],
      "deploy-server2": ["rollout-drain-server2"],
      "rollout-gate-1": ["deploy-server1", "deploy-server2"],
      "rollout-drain-server3": ["rollout-gate-1"],
      "deploy-server3": ["rollout-drain-server3"],
      "rollout-gate-2": ["deploy-server3"],
    });
    assert.deepEqual(
      ofKind(result, "ClusterReadinessGate").map((g) => [g.name, g.inputs.readyServers]).sort(),
      [["rollout-gate-0", []], ["rollout-gate-1", ["server1", "server2"]], ["rollout-gate-2", ["server3"]]],
    );
  });

  it("exports the last gate's passedAt and health and the version of every server", function () {
    const outputs = outputsOf(batchOfOne);
    assert.deepEqual(Object.keys(outputs).sort(), ["analyses", "appUrls", "health", "passedAt", "versions"]);
    assert.deepEqual(outputs.analyses, {}, "no analysis configured: no verdicts");
    assert.equal(outputs.passedAt, "2030-01-01T00:00:00.000Z", "the mock gate's passedAt");
    assert.deepEqual(outputs.health.members.map((m: { member: string }) => m.member), MEMBERS);
    assert.deepEqual(outputs.versions, { server1: "v2", server2: "v2", server3: "v2" });
    assert.deepEqual(outputs.appUrls, { server1: "http://127.0.0.1:9001/", server2: "http://127.0.0.1:9002/", server3: "http://127.0.0.1:9003/" });
    assert.deepEqual(batchOfOne.secretOutputs, []);
  });

  it("runs as a preview too, before any output is known", async function () {
    const result = await rollingDeploy({}, { preview: true });
    assert.equal(result.error, undefined);
    assert.equal(result.resources.filter((r) => r.custom).length, 10);
  });

  it("fails with a message naming the config key when servers is malformed", async function () {
    const result = await rollingDeploy({ servers: [{ name: "server1", port: 9001 }, { name: "server1", port: 9002 }] });
    assert.match(result.error ?? "", /config servers: name "server1" appears twice/);
    const noPort = await rollingDeploy({ servers: [{ name: "server1" }] });
    assert.match(noPort.error ?? "", /config servers must be a list of \{"name": .*got \{"name":"server1"\}/);
  });

  it("refuses a gate or drain setting it does not know, instead of leaving the default in force", async function () {
    const result = await rollingDeploy({ gate: { timeoutSecond: 90 } });
    assert.match(result.error ?? "", /config gate: unknown setting timeoutSecond; known: thresholdPercent, minChecks, intervalSeconds, timeoutSeconds/);
    assert.deepEqual(result.resources.filter((r) => r.custom), [], "nothing is declared");
  });
});

/** GET through plain http (no keep-alive), resolving with status, body and x-served-by. */
function get(port: number, pathname: string): Promise<{ status: number; body: string; servedBy: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: "127.0.0.1", port, path: pathname, agent: false }, (res) => {
        let body = "";
        res.on("data", (chunk: Buffer) => (body += chunk.toString()));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body, servedBy: String(res.headers["x-served-by"]) }));
      })
      .on("error", reject);
  });
}

/**
 * A GET whose `received` resolves once the app has read it and is working on it: it asks
 * for `100 Continue`, which Node's server sends as it hands the request to the app. Only
 * then does a SIGTERM find it in flight (a request still in the kernel's queue is refused).
 */
function getInFlight(port: number, pathname: string): { received: Promise<void>; answer: Promise<{ status: number; body: string; servedBy: string }> } {
  let onContinue!: () => void;
  let ended!: (error: Error) => void;
  const received = new Promise<void>((resolve, reject) => ((onContinue = resolve), (ended = reject)));
  const answer = new Promise<{ status: number; body: string; servedBy: string }>((resolve, reject) => {
    http
      .get({ host: "127.0.0.1", port, path: pathname, agent: false, headers: { expect: "100-continue" } }, (res) => {
        let body = "";
        res.on("data", (chunk: Buffer) => (body += chunk.toString()));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body, servedBy: String(res.headers["x-served-by"]) }));
      })
      .on("continue", onContinue)
      .on("error", reject);
  });
  // Settled first by the 100; an answer or error before it means the request was never seen in flight.
  answer.then(
    () => ended(new Error(`GET ${pathname} was answered before the app sent 100 Continue`)),
    (error: Error) => ended(error),
  );
  return { received, answer };
}

describe("examples/rolling-deploy AppServerDeployment, run from its serialized provider in the project directory", function () {
  let host: ProviderHost;
  let stateDir: string;
  let port: number;
  let inputs: Record<string, unknown>;

  before(async function () {
    const result = await rollingDeploy();
    const text = resource(result, "deploy-server1").providerText;
    assert.ok(text, "the resource carries its serialized provider");
    assert.doesNotMatch(text, /@pulumi\/pulumi/, "the provider text does not pull in the Pulumi SDK");
    host = await startProviderHost(text, "examples/rolling-deploy");
    stateDir = await fs.promises.mkdtemp(path.join(os.tmpdir(), "app-deployment-test-"));
    port = await freePort();
    inputs = { name: "server1", port, version: "v1", script: "app.js", stateDir, warmupMs: 0 };
  });

  after(async function () {
    // Whatever a failed test left running on the port.
    await host?.call("delete", `127.0.0.1:${port}`, { ...inputs, stopTimeoutSeconds: 5 }).catch(() => undefined);
    await host?.stop();
    await fs.promises.rm(stateDir, { recursive: true, force: true });
  });

  it("creates: starts the app detached on the port, records its pid file, and returns once that process answers", async function () {
    const { inputs: checked, failures } = await host.call("check", {}, inputs);
    assert.deepEqual(failures, []);
    const { id, outs } = await host.call("create", checked);
    assert.equal(id, `127.0.0.1:${port}`);
    assert.equal(outs.previousStop, "none");
    assert.equal(fs.readFileSync(path.join(stateDir, `app-${port}.pid`), "utf8").trim(), String(outs.pid));
    assert.deepEqual(await get(port, "/"), { status: 200, body: "server1 v1\n", servedBy: "server1" });
    assert.equal((await get(port, "/check")).status, 200);
    inputs = outs;
  });

  it("updates to a new version: SIGTERM to the old process, which finishes its request in flight, then the new one serves", async function () {
    const oldPid = inputs.pid;
    const { received, answer: inFlight } = getInFlight(port, "/slow?ms=1500");
    await received;
    const news = { ...inputs, version: "v2", warmupMs: 60_000 };
    const diff = await host.call("diff", `127.0.0.1:${port}`, inputs, news);
    assert.deepEqual(diff, { changes: true, replaces: [], deleteBeforeReplace: false });
    const { outs } = await host.call("update", `127.0.0.1:${port}`, inputs, (await host.call("check", inputs, news)).inputs);
    assert.deepEqual(await inFlight, { status: 200, body: "server1 v1 after 1500 ms\n", servedBy: "server1" }, "the old app finished the request it had");
    assert.deepEqual([outs.previousPid, outs.previousStop], [oldPid, "SIGTERM"]);
    assert.notEqual(outs.pid, oldPid);
    const warming = await get(port, "/check");
    assert.deepEqual([warming.status, warming.body], [503, "server1 v2 warming up\n"], "create returns while the app warms up: the gate waits for it");
    inputs = outs;
  });

  it("replaces (deleting first) on a port change, and only records a change of deadlines", async function () {
    assert.deepEqual(await host.call("diff", "x", inputs, { ...inputs, port: port + 1 }), { changes: true, replaces: ["port"], deleteBeforeReplace: true });
    const { outs } = await host.call("update", "x", inputs, { ...inputs, stopTimeoutSeconds: 7 });
    assert.deepEqual([outs.pid, outs.stopTimeoutSeconds], [inputs.pid, 7], "no restart for a deadline change");
  });

  it("refuses malformed inputs in check, naming each property", async function () {
    const { failures } = await host.call("check", {}, { ...inputs, port: 70000, version: "" });
    assert.deepEqual(failures.map((f: { property: string }) => f.property).sort(), ["port", "version"]);
  });

  it("deletes: stops the app and removes its pid file; refresh then reports it not running", async function () {
    const pid = inputs.pid as number;
    await host.call("delete", `127.0.0.1:${port}`, inputs);
    assert.equal(fs.existsSync(path.join(stateDir, `app-${port}.pid`)), false);
    // delete returns once the app has exited (a zombie counts: it runs nothing and holds no
    // port); the provider host, its parent, collects it a moment later.
    await waitFor(`the app's process ${pid} to be gone`, (note) => {
      try {
        process.kill(pid, 0);
      } catch (error) {
        return (error as NodeJS.ErrnoException).code === "ESRCH" ? true : undefined;
      }
      // Its state (Z while not yet collected).
      let stat = "";
      try {
        stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
      } catch {
        // Collected since kill(pid, 0): the next poll sees ESRCH.
      }
      note(`state ${stat.split(") ")[1]?.split(" ")[0] ?? "?"}`);
      return undefined;
    }, { intervalMs: 20 });
    const { props } = await host.call("read", `127.0.0.1:${port}`, inputs);
    assert.equal(props.running, false);
    await assert.rejects(get(port, "/"), /ECONNREFUSED/);
  });

  it("fails create with the app's own words when the port is taken by something else", async function () {
    const blocker = http.createServer((_req, res) => res.end("not the app"));
    await new Promise<void>((resolve) => blocker.listen(port, "127.0.0.1", resolve));
    try {
      await assert.rejects(host.call("create", { ...inputs, startTimeoutSeconds: 5 }), /exited \(code 1\) before answering on 127\.0\.0\.1:\d+; its log .* ends:\n(.|\n)*EADDRINUSE/);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });
});

/** Requests through the members' frontends, one after another, until stopped: what users would see. */
function startTraffic(urls: string[]): { stop: () => Promise<Array<{ status: number; body: string }>> } {
  const seen: Array<{ status: number; body: string }> = [];
  let running = true;
  const loop = (async () => {
    for (let i = 0; running; i++) {
      const url = new URL(urls[i % urls.length]!);
      const answer = await get(Number(url.port), "/").catch((error: Error) => ({ status: 0, body: error.message, servedBy: "" }));
      seen.push({ status: answer.status, body: answer.body });
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return seen;
    },
  };
}

describe("examples/rolling-deploy applied to two real HAProxy members, step by step as pulumi up would", function () {
  this.timeout(180_000);
  const PASSWORD_REAL = "demo-stats-password";
  let lbs: HaproxyInstance[] = [];
  let stateDir: string;
  let servers: Array<{ name: string; port: number }>;
  let engine: MiniEngine;
  let config: Record<string, unknown>;

  const apps = (command: "start" | "stop", version = "v0") =>
    promisify(execFile)(process.execPath, [path.join(EXAMPLE_DIR, "apps.js"), command, "--version", version, "--state-dir", stateDir, ...servers.map((s) => `${s.name}:${s.port}`)], { timeout: 60_000 });

  before(async function () {
    stateDir = await fs.promises.mkdtemp(path.join(os.tmpdir(), "rolling-deploy-real-"));
    servers = [];
    for (const name of ["server1", "server2", "server3"]) servers.push({ name, port: await freePort() });
    const statsAuth = { user: "admin", password: PASSWORD_REAL };
    const backends = [{ name: "myapp", servers, check: FAST_CHECKS }];
    lbs = await Promise.all(["lb1", "lb2"].map((name) => startHaproxy({ name, statsAuth, backends })));
    // The apps already run (v0) before the first pulumi up, as examples/local-cluster/start.sh leaves them.
    await apps("start");
    await Promise.all(lbs.flatMap((lb) => servers.map((s) => lb.waitForStatus("myapp", s.name, (st) => st === "UP", 15_000))));
    engine = new MiniEngine(EXAMPLE_DIR);
    config = {
      members: [lbs[0]!.statsUrl, `unix:${lbs[1]!.adminSocket}`],
      statsUser: "admin",
      statsPassword: PASSWORD_REAL,
      servers,
      stateDir,
      warmupMs: 600,
      gate: { intervalSeconds: 0.2, minChecks: 2, timeoutSeconds: 30 },
    };
  });

  after(async function () {
    await engine?.close();
    await apps("stop").catch(() => undefined);
    await Promise.allSettled(lbs.map((lb) => lb.stop()));
    await fs.promises.rm(stateDir, { recursive: true, force: true });
  });

  /** Runs the program under mocks with `version` and applies it, watching each step and the traffic. */
  async function deploy(version: string): Promise<{ steps: Step[]; traffic: Array<{ status: number; body: string }> }> {
    const run = await runProgram({ program: "examples/rolling-deploy/index.js", projectDir: "examples/rolling-deploy", project: "haproxy-cluster-rolling-deploy", config: { ...config, version }, secretKeys: ["statsPassword"] });
    const traffic = startTraffic(lbs.map((lb) => lb.frontendUrl));
    const steps: Step[] = [];
    let seen: Array<{ status: number; body: string }> = [];
    try {
      await engine.up(run, async (step) => {
        steps.push(step);
        if (step.op === "same") return;
        const server = /^rollout-drain-(.*)$/.exec(step.name)?.[1];
        // Right after a drain step, that server is out of rotation on both members.
        if (server) assert.deepEqual(await Promise.all(lbs.map(async (lb) => (await lb.stat("myapp", server)).status)), ["DRAIN", "DRAIN"], `${server} after ${step.name}`);
        const gate = /^rollout-gate-(\d+)$/.exec(step.name)?.[1];
        // After gate k, server k serves the new version and is UP on both members.
        if (gate && gate !== "0") {
          const s = servers[Number(gate) - 1]!;
          assert.deepEqual((await get(s.port, "/")).body, `${s.name} ${version}\n`);
          assert.deepEqual(await Promise.all(lbs.map(async (lb) => (await lb.stat("myapp", s.name)).status)), ["UP", "UP"], `${s.name} after ${step.name}`);
        }
      });
    } finally {
      seen = await traffic.stop();
    }
    return { steps, traffic: seen };
  }

  const CHAIN = ["rollout-gate-0", "rollout-drain-server1", "deploy-server1", "rollout-gate-1", "rollout-drain-server2", "deploy-server2", "rollout-gate-2", "rollout-drain-server3", "deploy-server3", "rollout-gate-3"];

  it("replaces the running v0 apps by v1 one server at a time, and not one request through HAProxy fails", async function () {
    const { steps, traffic } = await deploy("v1");
    assert.deepEqual(steps.map((s) => `${s.op} ${s.name}`), CHAIN.map((name) => `create ${name}`));
    for (const s of servers) assert.equal((await get(s.port, "/")).body, `${s.name} v1\n`);
    const failed = traffic.filter((t) => t.status !== 200);
    assert.deepEqual(failed, [], `${failed.length} of ${traffic.length} requests failed`);
    assert.ok(traffic.length > 20, `traffic flowed during the deploy: ${traffic.length} requests`);
    assert.ok(traffic.some((t) => / v1\n$/.test(t.body)) && traffic.some((t) => / v0\n$/.test(t.body)), "users saw v0, then v1");
  });

  it("on a new version re-runs the chain: gates update, drains are taken anew, apps restart; still not one failed request", async function () {
    const { steps, traffic } = await deploy("v2");
    assert.deepEqual(
      steps.map((s) => `${s.op} ${s.name}`),
      CHAIN.map((name) => `${name.includes("-drain-") ? "replace" : "update"} ${name}`),
    );
    for (const s of servers) assert.equal((await get(s.port, "/")).body, `${s.name} v2\n`);
    assert.deepEqual(traffic.filter((t) => t.status !== 200), []);
    const health = engine.state.get("rollout-gate-3")!.outputs.health as { healthy: boolean };
    assert.equal(health.healthy, true);
  });

  it("changes nothing when run again with the same version", async function () {
    const { steps } = await deploy("v2");
    assert.deepEqual(steps.map((s) => s.op), CHAIN.map(() => "same"));
  });

  it("stops the apps on destroy, and takes no server out: HAProxy just sees them go DOWN", async function () {
    await engine.destroy();
    for (const s of servers) {
      assert.equal(fs.existsSync(path.join(stateDir, `app-${s.port}.pid`)), false, `${s.name} pid file`);
      await assert.rejects(get(s.port, "/"), /ECONNREFUSED/);
    }
    // DOWN, not DRAIN or MAINT: the drains of a rolling deploy are steps, and deleting them touches nothing.
    await Promise.all(lbs.flatMap((lb) => servers.map((s) => lb.waitForStatus("myapp", s.name, (st) => st === "DOWN", 15_000))));
  });
});
