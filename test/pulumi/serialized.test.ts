// The providers the way the engine runs them: the provider object serialized to text by
// Pulumi's closure serialization, then loaded in a fresh Node.js process with
// require-from-string, `.handler()`, and its methods called, exactly like
// @pulumi/pulumi/cmd/dynamic-provider does, against real HAProxy. Once from this
// checkout, once from the package as a user installs it (npm pack, npm install).

import { sdkVersion } from "../support/pulumi-sdk";
import { strict as assert } from "node:assert";
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import * as pulumi from "@pulumi/pulumi";
import { readinessGateProvider, serverDrainProvider } from "../../provider/pulumi/providers";
import { refusedPort } from "../support/fake-members";
import { startCluster } from "../support/haproxy";
import { memberSpec } from "../support/member-specs";
import { FAST_CHECKS, restoreServing, statuses, type Rig } from "./helpers";

const run = promisify(execFile);
const CHECKOUT = path.resolve(__dirname, "../../..");
const IMPL_PACKAGE_PATH = "haproxy-cluster/dist/provider/pulumi/impl";

/**
 * Loads the provider text the way the dynamic provider host does and calls one method.
 * Writes what happened, and which of this package's files the process loaded, as JSON.
 */
const RUNNER = `
const fs = require("node:fs");
const [requireFromStringPath, requestFile, answerFile] = process.argv.slice(2);
const requireFromString = require(requireFromStringPath);
const { providerText, method, args } = JSON.parse(fs.readFileSync(requestFile, "utf8"));
const answer = (outcome) => {
  outcome.packageFiles = Object.keys(require.cache).filter((f) => f.includes("/dist/provider/"));
  fs.writeFileSync(answerFile, JSON.stringify(outcome));
};
(async () => {
  try {
    const provider = requireFromString(providerText).handler();
    answer({ ok: true, result: await provider[method](...args) });
  } catch (e) {
    answer({ ok: false, error: { message: e.message, code: e.code, id: e.id, properties: e.properties, reasons: e.reasons } });
  }
})();
`;

interface Answer {
  ok: boolean;
  result?: Record<string, unknown> & { id?: string; outs?: Record<string, unknown>; inputs?: Record<string, unknown>; failures?: unknown[] };
  error?: { message: string; code?: string; id?: string; properties?: Record<string, unknown>; reasons?: string[] };
  packageFiles: string[];
}

/** A fresh `node` process, in `cwd`, that loads `providerText` and calls `method(...args)`. */
async function callSerialized(work: string, requireFromString: string, cwd: string, providerText: string, method: string, args: unknown[]): Promise<Answer> {
  const stamp = `${method}-${Date.now()}-${Math.random().toString(16).slice(2)}`;
  const runner = path.join(work, "runner.js");
  if (!fs.existsSync(runner)) fs.writeFileSync(runner, RUNNER);
  const requestFile = path.join(work, `${stamp}.request.json`);
  const answerFile = path.join(work, `${stamp}.answer.json`);
  fs.writeFileSync(requestFile, JSON.stringify({ providerText, method, args }));
  // No HAPROXY_CLUSTER_* from this process's environment: the inputs must be enough.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("HAPROXY_CLUSTER_")));
  try {
    // The process must also end by itself: a provider that leaves a socket or timer behind would hang here.
    await run(process.execPath, [runner, requireFromString, requestFile, answerFile], { cwd, env, timeout: 60_000 });
  } catch (error) {
    const { stdout = "", stderr = "" } = error as { stdout?: string; stderr?: string };
    throw new Error(`the provider process for ${method} failed: ${String(error)}\n--- stdout ---\n${stdout}\n--- stderr ---\n${stderr}`);
  }
  return JSON.parse(fs.readFileSync(answerFile, "utf8")) as Answer;
}

function succeeded(answer: Answer, what: string): NonNullable<Answer["result"]> {
  assert.ok(answer.ok, `${what} failed in the provider process: ${JSON.stringify(answer.error)}`);
  return answer.result ?? {};
}

describe("the providers as the engine runs them: serialized, then loaded in a fresh process", function () {
  let rig: Rig;
  let members: string[];
  let work: string;

  before(async function () {
    rig = await startCluster({ members: 2, servers: 3, check: FAST_CHECKS });
    members = [memberSpec(rig.lbs[0]!, "unix"), memberSpec(rig.lbs[1]!, "tcp")];
    work = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "hc-serialized-")));
  });
  after(async function () {
    await rig?.stop();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });
  afterEach(async function () {
    await restoreServing(rig);
  });

  /**
   * The engine's sequence for one ServerDrain: check, create (outputs + __provider go to
   * state), later delete with that state, each in its own fresh process.
   */
  async function drainAndRestore(requireFromString: string, cwd: string, providerText: string, deleteCwd = cwd): Promise<{ create: Answer; remove: Answer }> {
    const check = succeeded(await callSerialized(work, requireFromString, cwd, providerText, "check", [{}, { members, backend: "myapp", server: "server1", __provider: providerText }]), "check");
    assert.deepEqual(check.failures, []);
    const inputs: Record<string, unknown> = { ...check.inputs!, __provider: providerText };
    assert.equal(inputs.mode, "drain", "check applied the defaults");

    const create = await callSerialized(work, requireFromString, cwd, providerText, "create", [inputs]);
    const created = succeeded(create, "create");
    assert.match(String(created.id), /^myapp\/server1\//);
    assert.deepEqual(created.outs!.drainedOn, members);
    assert.deepEqual(await statuses(rig, "server1"), ["DRAIN", "DRAIN"]);

    const state = { ...created.outs!, __provider: providerText };
    const remove = await callSerialized(work, requireFromString, deleteCwd, providerText, "delete", [created.id, state]);
    succeeded(remove, "delete");
    assert.deepEqual(await statuses(rig, "server1"), ["UP", "UP"], "delete returned once the server serves everywhere");
    return { create, remove };
  }

  async function passGate(requireFromString: string, cwd: string, providerText: string): Promise<Answer> {
    const props = { members, backend: "myapp", minChecks: 2, intervalSeconds: 0.2, timeoutSeconds: 20, __provider: providerText };
    const answer = await callSerialized(work, requireFromString, cwd, providerText, "create", [props]);
    const result = succeeded(answer, "gate create");
    const outs = result.outs as { passedAt: string; polls: number; health: { healthy: boolean } };
    assert.ok(Date.parse(outs.passedAt) > Date.now() - 60_000, outs.passedAt);
    assert.ok(outs.polls >= 2);
    assert.equal(outs.health.healthy, true);
    return answer;
  }

  describe("from this checkout", function () {
    let requireFromString: string;
    let drainText: string;
    let gateText: string;
    let cwd: string;

    before(async function () {
      // The host's own copy: require-from-string is a dependency of @pulumi/pulumi.
      requireFromString = require.resolve("require-from-string", { paths: [path.dirname(require.resolve("@pulumi/pulumi/package.json"))] });
      const drain = await pulumi.runtime.serializeFunction(() => serverDrainProvider, { allowSecrets: true });
      const gate = await pulumi.runtime.serializeFunction(() => readinessGateProvider, { allowSecrets: true });
      assert.equal(drain.containsSecrets, false);
      assert.equal(gate.containsSecrets, false);
      drainText = drain.text;
      gateText = gate.text;
      // A project directory with no node_modules: the package path cannot resolve there.
      cwd = fs.mkdtempSync(path.join(work, "project-"));
    });

    it("serializes to text that names the implementation by package path and captures none of it", function () {
      for (const text of [drainText, gateText]) {
        assert.ok(text.includes(IMPL_PACKAGE_PATH), "the installed package's path is in the text");
        assert.match(text, /^exports\.handler = /m);
        assert.ok(!/zod|undici/.test(text), "no schema or HTTP pool was captured");
      }
      assert.match(drainText, /kind: "serverDrain"/);
      assert.match(gateText, /kind: "readinessGate"/);
    });

    it("drains on create and restores on delete, each in a fresh process, loading this checkout's implementation", async function () {
      const { create, remove } = await drainAndRestore(requireFromString, cwd, drainText);
      for (const answer of [create, remove]) {
        assert.ok(answer.packageFiles.some((f) => f === path.join(CHECKOUT, "dist/provider/pulumi/impl/index.js")), answer.packageFiles.join("\n"));
        assert.ok(answer.packageFiles.every((f) => f.startsWith(CHECKOUT)), answer.packageFiles.join("\n"));
      }
    });

    it("passes the readiness gate on create in a fresh process", async function () {
      await passGate(requireFromString, cwd, gateText);
    });

    it("hands a partial failure to the host with the id, the properties to keep (with __provider) and the reasons", async function () {
      const dead = `tcp://127.0.0.1:${await refusedPort()}`;
      const props = { members: [members[0], dead], backend: "myapp", server: "server1", force: true, __provider: drainText };
      const answer = await callSerialized(work, requireFromString, cwd, drainText, "create", [props]);
      assert.equal(answer.ok, false);
      const error = answer.error!;
      assert.match(String(error.id), /^myapp\/server1\//);
      assert.deepEqual(error.properties!.drainedOn, [members[0]]);
      assert.deepEqual(Object.keys(error.properties!.failedOn as object), [dead]);
      assert.equal(error.properties!.__provider, drainText);
      assert.deepEqual(error.reasons, [error.message]);
      assert.deepEqual(await statuses(rig, "server1"), ["DRAIN", "UP"]);
    });
  });

  describe("from the package installed out of npm pack", function () {
    let project: string;
    let requireFromString: string;
    let drainText: string;
    let gateText: string;

    before(async function () {
      // npm pack (60 s at most) and npm install (240 s at most) each have their own deadline.
      this.timeout(360_000);
      const packDir = fs.mkdtempSync(path.join(work, "pack-"));
      const { stdout } = await run("npm", ["pack", "--json", "--pack-destination", packDir], { cwd: CHECKOUT, timeout: 60_000 });
      const tarball = path.join(packDir, (JSON.parse(stdout) as Array<{ filename: string }>)[0]!.filename);
      project = fs.mkdtempSync(path.join(work, "user-project-"));
      fs.writeFileSync(path.join(project, "package.json"), JSON.stringify({ name: "user-project", version: "1.0.0", private: true }));
      // The registry is reachable; the cache usually answers without it.
      // The SDK is the project's (a peer dependency): the one this run tests.
      // Several cells of npm test install at once on two cores: a deadline that allows for it,
      // and npm's own words (or the signal that ended it) when it fails.
      await run("npm", ["install", tarball, `@pulumi/pulumi@${sdkVersion()}`, "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error"], { cwd: project, timeout: 240_000 }).catch(
        (error: Error & { signal?: string; stderr?: string }) => {
          throw new Error(`npm install in ${project} failed${error.signal ? ` (ended by ${error.signal} at the deadline)` : ""}: ${error.message}\n${error.stderr ?? ""}`);
        },
      );
      requireFromString = require.resolve("require-from-string", { paths: [path.join(project, "node_modules/@pulumi/pulumi")] });
      assert.ok(requireFromString.startsWith(project), requireFromString);

      // Serialize inside the user's project, from `require("haproxy-cluster/pulumi")`, as their program would.
      const serialize = [
        'const pulumi = require("@pulumi/pulumi");',
        'const fs = require("node:fs");',
        'const { serverDrainProvider, readinessGateProvider } = require("haproxy-cluster/pulumi");',
        "(async () => {",
        '  fs.writeFileSync("drain.provider.js", (await pulumi.runtime.serializeFunction(() => serverDrainProvider, { allowSecrets: true })).text);',
        '  fs.writeFileSync("gate.provider.js", (await pulumi.runtime.serializeFunction(() => readinessGateProvider, { allowSecrets: true })).text);',
        "})();",
      ].join("\n");
      fs.writeFileSync(path.join(project, "serialize.js"), serialize);
      await run(process.execPath, ["serialize.js"], { cwd: project, timeout: 60_000 });
      drainText = fs.readFileSync(path.join(project, "drain.provider.js"), "utf8");
      gateText = fs.readFileSync(path.join(project, "gate.provider.js"), "utf8");
    });

    it("serializes to text that requires the implementation from the installed package, not from this checkout", function () {
      for (const text of [drainText, gateText]) {
        assert.ok(text.includes(IMPL_PACKAGE_PATH));
        assert.ok(!text.includes(CHECKOUT + "/"), "no path into the checkout");
      }
    });

    it("drains and restores in fresh processes run from the project, loading only the installed implementation", async function () {
      const { create, remove } = await drainAndRestore(requireFromString, project, drainText);
      const installed = path.join(project, "node_modules", "haproxy-cluster");
      for (const answer of [create, remove]) {
        assert.ok(answer.packageFiles.includes(path.join(installed, "dist/provider/pulumi/impl/index.js")), answer.packageFiles.join("\n"));
        assert.ok(answer.packageFiles.every((f) => f.startsWith(installed + path.sep)), answer.packageFiles.join("\n"));
      }
    });

    it("passes the readiness gate from the installed package", async function () {
      const answer = await passGate(requireFromString, project, gateText);
      assert.ok(answer.packageFiles.every((f) => f.startsWith(path.join(project, "node_modules", "haproxy-cluster") + path.sep)), answer.packageFiles.join("\n"));
    });

    it("keeps working from state after the project moved: delete finds the package from its working directory", async function () {
      // Create in the project, then move it, as a checkout to another path or a CI workspace would.
      const check = await callSerialized(work, requireFromString, project, drainText, "create", [{ members, backend: "myapp", server: "server1", __provider: drainText }]);
      const created = succeeded(check, "create");
      const moved = `${project}-moved`;
      fs.renameSync(project, moved);
      try {
        const movedRequire = requireFromString.replace(project, moved);
        const remove = await callSerialized(work, movedRequire, moved, drainText, "delete", [created.id, { ...created.outs, __provider: drainText }]);
        succeeded(remove, "delete after the move");
        assert.ok(remove.packageFiles.every((f) => f.startsWith(moved + path.sep)), remove.packageFiles.join("\n"));
        assert.deepEqual(await statuses(rig, "server1"), ["UP", "UP"]);
      } finally {
        fs.renameSync(moved, project);
      }
    });
  });
});
