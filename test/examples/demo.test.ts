// The repository's root Pulumi program (Pulumi.yaml + demo/) under Pulumi mocks: the
// rolling deploy of examples/rolling-deploy with the library from this checkout, and
// providers that find their implementation from the repository root.

import { strict as assert } from "node:assert";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { freePort } from "../support/ports";
import { ofKind, outputsOf, REPO_ROOT, resource, runProgram, startProviderHost, type MockRunResult } from "./harness";

function demo(config: Record<string, unknown> = {}): Promise<MockRunResult> {
  return runProgram({
    program: "demo/index.js",
    projectDir: ".",
    project: "haproxy-cluster-demo",
    config: {
      members: ["http://127.0.0.1:8404/stats", "unix:/tmp/haproxy-cluster-demo/lb2.sock"],
      statsPassword: "demo-password",
      servers: [
        { name: "server1", port: 9001 },
        { name: "server2", port: 9002 },
      ],
      version: "v1",
      ...config,
    },
    secretKeys: ["statsPassword"],
  });
}

describe("the repository's demo program (Pulumi.yaml, demo/index.js) under Pulumi mocks", function () {
  let result: MockRunResult;

  before(async function () {
    result = await demo();
  });

  it("is a plain-JavaScript nodejs project named haproxy-cluster-demo whose main is demo/index.js", function () {
    const yaml = fs.readFileSync(path.join(REPO_ROOT, "Pulumi.yaml"), "utf8");
    assert.match(yaml, /^name: haproxy-cluster-demo$/m);
    assert.match(yaml, /^runtime:\n {2}name: nodejs\n {2}options:\n(?: {4}#.*\n)* {4}typescript: false$/m);
    assert.match(yaml, /^main: demo\/index\.js$/m);
  });

  it("declares the rolling deploy without any HAProxy running: gate, then drain → deploy → gate per server", function () {
    const graph = Object.fromEntries(result.resources.filter((r) => r.custom).map((r) => [r.name, r.dependencies]));
    assert.deepEqual(graph, {
      "rollout-gate-0": [],
      "rollout-drain-server1": ["rollout-gate-0"],
      "deploy-server1": ["rollout-drain-server1"],
      "rollout-gate-1": ["deploy-server1"],
      "rollout-drain-server2": ["rollout-gate-1"],
      "deploy-server2": ["rollout-drain-server2"],
      "rollout-gate-2": ["deploy-server2"],
    });
    assert.deepEqual(outputsOf(result).versions, { server1: "v1", server2: "v1" });
    for (const r of [...ofKind(result, "ServerDrain"), ...ofKind(result, "ClusterReadinessGate")]) assert.deepEqual(r.secretInputs, ["password"], r.name);
  });

  it("points the apps at examples/rolling-deploy/app.js, relative to the repository root (the project directory)", function () {
    for (const d of ofKind(result, "AppServerDeployment")) assert.equal(d.inputs.script, "examples/rolling-deploy/app.js", d.name);
  });

  it("serializes providers that load the library's implementation from this checkout when run in the repository root", async function () {
    const host = await startProviderHost(resource(result, "rollout-drain-server1").providerText!, ".");
    try {
      const checked = await host.call("check", {}, { members: ["unix:/nowhere.sock"], backend: "myapp", server: "server1", lifetime: "step" });
      assert.deepEqual(checked.failures, []);
      assert.equal(checked.inputs.mode, "drain", "the implementation applied its defaults");
      const bad = await host.call("check", {}, { members: [], backend: "myapp", server: "server1" });
      // Failures on members reach the engine without a property name (the engine would echo
      // the value, which may hold a password): the reason names the input instead.
      assert.deepEqual(bad.failures.map((f: { property: string; reason: string }) => [f.property, f.reason.startsWith("members: ")]), [["", true]]);
    } finally {
      await host.stop();
    }
  });

  it("runs an app from the repository root with the serialized AppServerDeployment provider", async function () {
    const host = await startProviderHost(resource(result, "deploy-server1").providerText!, ".");
    const stateDir = await fs.promises.mkdtemp(path.join(os.tmpdir(), "demo-app-"));
    const inputs = { name: "server1", port: await freePort(), version: "v1", script: "examples/rolling-deploy/app.js", stateDir };
    try {
      const { outs } = await host.call("create", (await host.call("check", {}, inputs)).inputs);
      const res = await fetch(outs.url, { headers: { connection: "close" } });
      assert.deepEqual([res.status, await res.text(), res.headers.get("x-served-by")], [200, "server1 v1\n", "server1"]);
      await host.call("delete", `127.0.0.1:${inputs.port}`, outs);
    } finally {
      await host.stop();
      await fs.promises.rm(stateDir, { recursive: true, force: true });
    }
  });
});
