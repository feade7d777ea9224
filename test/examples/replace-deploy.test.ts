// examples/replace-deploy: the resources it declares (under Pulumi mocks), and a real
// `pulumi up` of a new version on two real HAProxy members under constant traffic, with
// the bench's own rig (bench/rolling/replace-way.ts): no failed request, never fewer
// servers serving on any member than before the deploy, no trace of the old servers.
// Unlike the other example tests this one runs the real engine: what it checks (new
// before old, deletes after every create, side by side) is the engine's doing.

import { strict as assert } from "node:assert";
import type { WaySettings } from "../../bench/rolling/settings";
import { openReplaceRig, runReplaceWay, type ReplaceRig, type ReplaceWayResult } from "../../bench/rolling/replace-way";
import { ofKind, outputsOf, resource, runProgram, type MockRunResult } from "./harness";

const MEMBERS = ["http://127.0.0.1:8404/stats", "unix:/tmp/haproxy-cluster-demo/lb2.sock"];
const PASSWORD = "s3cret-stats-password";

function replaceDeploy(config: Record<string, unknown> = {}): Promise<MockRunResult> {
  return runProgram({
    program: "examples/replace-deploy/index.js",
    projectDir: "examples/replace-deploy",
    project: "haproxy-cluster-replace-deploy",
    config: { members: MEMBERS, statsPassword: PASSWORD, version: "v2", ...config },
    secretKeys: ["statsPassword"],
  });
}

describe("examples/replace-deploy under Pulumi mocks", function () {
  let result: MockRunResult;

  before(async function () {
    result = await replaceDeploy({ server: { checkIntervalMs: 500, weight: 1 } });
  });

  it("declares per slot an AppInstance and a BackendServer named and addressed after it, and nothing else", function () {
    const graph = Object.fromEntries(result.resources.filter((r) => r.custom).map((r) => [r.name, [...r.dependencies].sort()]));
    assert.deepEqual(graph, { app1: [], "app1-server": ["app1"], app2: [], "app2-server": ["app2"], app3: [], "app3-server": ["app3"] });
    assert.equal(resource(result, "app1").type, "pulumi-nodejs:dynamic/haproxy-cluster-demo:AppInstance");
    assert.deepEqual(
      ofKind(result, "AppInstance").map((a) => [a.name, a.inputs.name, a.inputs.version, a.inputs.script]),
      [1, 2, 3].map((i) => [`app${i}`, `app${i}`, "v2", "app.js"]),
    );
    const servers = result.resources.filter((r) => r.custom && r.name.endsWith("-server"));
    assert.deepEqual(
      servers.map((s) => [s.name, s.inputs.backend, s.inputs.server, s.inputs.address, s.inputs.checkIntervalMs, s.inputs.weight]),
      [1, 2, 3].map((i) => [`app${i}-server`, "myapp", `app${i}-${40000 + i}`, `127.0.0.1:${40000 + i}`, 500, 1]),
    );
    for (const s of servers) {
      assert.deepEqual(s.inputs.members, MEMBERS, s.name);
      assert.deepEqual(s.secretInputs, ["password"], `${s.name}: only the password is secret`);
    }
  });

  it("exports each slot's server, address and version, and no password", function () {
    const outputs = outputsOf(result);
    assert.deepEqual(outputs.servers.app1, { server: "app1-40001", address: "127.0.0.1:40001", version: "v2" });
    assert.deepEqual(Object.keys(outputs.appUrls), ["app1", "app2", "app3"]);
    assert.ok(!JSON.stringify(outputs).includes(PASSWORD));
  });

  it("takes the number of instances from config, and refuses a server setting it does not know", async function () {
    const five = await replaceDeploy({ instances: 5 });
    assert.equal(ofKind(five, "AppInstance").length, 5);
    const typo = await replaceDeploy({ server: { checkIntervalSeconds: 1 } });
    assert.match(typo.error ?? "", /config server: unknown setting checkIntervalSeconds; known: /);
  });
});

describe("examples/replace-deploy: pulumi up of a new version under traffic, on two real HAProxy members", function () {
  // A cold Pulumi CLI build happens elsewhere (scripts/pulumi-cli.sh, cached); two ups take a minute or two.
  this.timeout(10 * 60_000);
  const progress: string[] = [];
  let rig: ReplaceRig | undefined;
  let replaced: ReplaceWayResult;

  const settings: WaySettings = {
    runs: 1,
    ratePerSecond: 100,
    connectionsPerFrontend: 2,
    minRequestsPerWay: 500,
    requestTimeoutMs: 2000,
    slowEvery: 20,
    slowMs: 250,
    warmupMs: 1000,
    leadInMs: 1000,
    tailMs: 1000,
    maxLoadSeconds: 240,
    calibrationRounds: 1,
    deployTimeoutMs: 240_000,
    log: (line) => progress.push(line),
  };

  before(async function () {
    rig = await openReplaceRig({ warmupMs: settings.warmupMs, firstVersion: "v1", log: settings.log });
    replaced = await runReplaceWay(settings, rig, "v2");
  });

  after(async function () {
    await rig?.stop();
  });

  const explain = (): string => [`problems: ${replaced.problems.join("; ")}`, `serving: ${replaced.serving.summary}`, ...replaced.serving.changes, ...replaced.deploy.split.method, ...replaced.deploy.split.details, replaced.deploy.outputTail ?? "", ...progress].join("\n");

  it("replaces every instance (new servers, new addresses) and loses no request through either member", function () {
    assert.equal(replaced.deploy.error, undefined, explain());
    assert.ok(replaced.load.sent >= settings.minRequestsPerWay, explain());
    assert.equal(replaced.load.failed, 0, `${replaced.load.failures.slice(0, 5).map((f) => `${f.kind}: ${f.detail}`).join("\n")}\n${explain()}`);
    assert.equal(replaced.replaced.before.length, 3);
    assert.equal(replaced.replaced.after.filter((s) => replaced.replaced.before.includes(s)).length, 0, explain());
  });

  it("never serves with fewer servers than before the deploy, on any member, and serves with more while old and new overlap", function () {
    const t = replaced.serving;
    assert.ok(t.samplesDuring >= 10, `only ${t.samplesDuring} reads during the deploy\n${explain()}`);
    t.members.forEach((member, i) => {
      assert.equal(t.before[i], 3, `${member} before`);
      assert.ok(t.minDuring[i]! >= t.before[i]!, `${member}: ${t.summary}\n${explain()}`);
      assert.ok(t.maxDuring[i]! > t.before[i]!, `${member}: new servers served beside the old ones: ${t.summary}`);
    });
  });

  it("leaves no trace of the old servers on any member (show stat, show servers state) and stops their apps; the new ones serve v2 everywhere", function () {
    assert.deepEqual(replaced.check.problems, [], explain());
    assert.ok(replaced.check.ok);
  });
});
