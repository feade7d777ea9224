// Moving over: a Node.js stack whose maintenance window is the dynamic ServerDrain
// (`haproxy-cluster/pulumi`) switches to the plugin's `haproxy-cluster:index:ServerDrain`
// with an alias from the dynamic type. Real `pulumi up` with both programs against two
// HAProxy members: the move is no delete (the dynamic provider's delete would put the server
// back), server2 stays out of rotation on both members throughout, and the plugin then owns
// the record: refresh reads it (and drops the dynamic provider from it), removing the resource
// puts the server back.
import { strict as assert } from "node:assert";
import fs from "node:fs";
import path from "node:path";
import { createStack, REPO_ROOT, type TestStack } from "../support/pulumi-stack";
import { SETUP_TIMEOUT_MS, STATS_USER, appSpecs, newPassword, operationsByResource, prepareProjects, startApps, startPair, statuses, waitAllUp, type AppFleet, type AppSpec, type Pair } from "../e2e/helpers";
import { sdkVersion } from "../support/pulumi-sdk";
import { linkSdk, removeTemp, RUN_ON, sdkEnv, tempDir, unpackPlugin } from "./helpers";

const WINDOW_ARGS = `{
  members: config.requireObject("members"),
  username: config.require("statsUser"),
  password: config.requireSecret("statsPassword"),
  backend: "myapp",
  server: "server2",
}`;

/** Before: the dynamic resource, as docs/pulumi/README.md's window shows it. */
const DYNAMIC_PROGRAM = `"use strict";
const pulumi = require("@pulumi/pulumi");
const { ServerDrain } = require(${JSON.stringify(path.join(REPO_ROOT, "pulumi.js"))});
const config = new pulumi.Config();
const window = new ServerDrain("window", ${WINDOW_ARGS});
exports.drainedOn = window.drainedOn;
// The program's SDK and the library's: one and the same, the one this run tests.
exports.sdkVersions = [require("@pulumi/pulumi/version").version, require(require.resolve("@pulumi/pulumi/version", { paths: [${JSON.stringify(REPO_ROOT)}] })).version];
`;

/** After: the plugin's type, with the alias that carries the dynamic resource's record over. */
const PLUGIN_PROGRAM = (withWindow: boolean) => `"use strict";
const pulumi = require("@pulumi/pulumi");
class ServerDrain extends pulumi.CustomResource {
  constructor(name, args, opts) {
    super("haproxy-cluster:index:ServerDrain", name, { ...args, drainedOn: undefined }, { ...opts, additionalSecretOutputs: ["password"] });
  }
}
const config = new pulumi.Config();
${withWindow ? `const window = new ServerDrain("window", ${WINDOW_ARGS}, { aliases: [{ type: "pulumi-nodejs:dynamic/haproxy-cluster:ServerDrain" }] });\nexports.drainedOn = window.drainedOn;` : ""}
`;

describe(`plugin e2e: moving a Node.js stack from the dynamic ServerDrain to the plugin's type, with an alias, server2 out of rotation throughout (${RUN_ON})`, function () {
  this.timeout(600_000);
  const password = newPassword();
  let apps: AppSpec[];
  let fleet: AppFleet;
  let pair: Pair;
  let projectDir: string;
  let stack: TestStack;
  const writeProgram = (text: string): Promise<void> => fs.promises.writeFile(path.join(projectDir, "index.js"), text);

  before(async function () {
    this.timeout(SETUP_TIMEOUT_MS);
    await prepareProjects();
    projectDir = await tempDir("moving-over");
    await unpackPlugin(path.join(projectDir, "plugin"));
    await fs.promises.writeFile(path.join(projectDir, "Pulumi.yaml"), "name: haproxy-moving-over\nruntime: nodejs\nmain: index.js\nplugins:\n  providers:\n    - name: haproxy-cluster\n      path: ./plugin\n");
    await writeProgram(DYNAMIC_PROGRAM);
    // The programs' @pulumi/pulumi, and the library's (sdkEnv), are the one this run tests.
    await linkSdk(projectDir);
    apps = await appSpecs();
    fleet = await startApps(apps, "v1", "plugin-moving-over");
    pair = await startPair(apps, password);
    await waitAllUp(pair, apps);
    stack = await createStack({ projectDir, label: "plugin-moving-over", config: { members: pair.members, statsUser: STATS_USER }, secrets: { statsPassword: password }, env: sdkEnv() });
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

  it("the dynamic window drains server2; the plugin's type with the alias takes the record over with no delete while server2 never serves; refresh reads it; removing it puts server2 back", async function () {
    const dynamic = await stack.up();
    assert.deepEqual(operationsByResource(dynamic.record.events), { window: ["create"] });
    assert.deepEqual(await statuses(pair, "server2"), ["DRAIN", "DRAIN"]);
    const typeOfWindow = async (): Promise<string> => ((await stack.stack.exportStack()).deployment.resources as Array<{ urn: string; type: string }>).find((r) => r.urn.endsWith("::window"))!.type;
    assert.equal(await typeOfWindow(), "pulumi-nodejs:dynamic/haproxy-cluster:ServerDrain");
    assert.deepEqual((await stack.outputs()).sdkVersions, [sdkVersion(), sdkVersion()], "the program and the library load the @pulumi/pulumi this run tests");

    // Watch server2 on both members for the whole move: any status but DRAIN is a failure.
    const seen = new Set<string>();
    let watching = true;
    const watch = (async () => {
      while (watching) {
        for (const status of await statuses(pair, "server2")) seen.add(status);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();
    await writeProgram(PLUGIN_PROGRAM(true));
    let moved;
    try {
      moved = await stack.up();
    } finally {
      watching = false;
      await watch;
    }
    assert.deepEqual([...seen], ["DRAIN"], "server2 stayed out of rotation on both members during the move");
    const ops = operationsByResource(moved.record.events).window ?? [];
    assert.ok(!ops.some((op) => /delete|replace|create/.test(op)), `the move deletes and creates nothing: ${JSON.stringify(ops)}`);
    assert.equal(await typeOfWindow(), "haproxy-cluster:index:ServerDrain");
    assert.deepEqual((await stack.outputs()).drainedOn, pair.members);
    assert.ok(!JSON.stringify(await stack.exportEncrypted()).includes(password), "the password is in plaintext state");

    const outputsOfWindow = async (): Promise<Record<string, unknown>> =>
      ((await stack.stack.exportStack()).deployment.resources as Array<{ urn: string; outputs: Record<string, unknown> }>).find((r) => r.urn.endsWith("::window"))!.outputs;
    assert.ok("__provider" in (await outputsOfWindow()), "the moved record still holds the dynamic provider");
    const refresh = await stack.refresh();
    assert.equal(refresh.summary.resourceChanges?.delete, undefined, JSON.stringify(refresh.summary.resourceChanges));
    assert.ok(!("__provider" in (await outputsOfWindow())), "refresh leaves the dynamic provider out of the plugin's record");
    assert.deepEqual(await statuses(pair, "server2"), ["DRAIN", "DRAIN"]);
    const again = await stack.up();
    assert.deepEqual(operationsByResource(again.record.events), { window: ["same"] }, "the plugin's record is settled");

    await writeProgram(PLUGIN_PROGRAM(false));
    const close = await stack.up();
    assert.deepEqual(operationsByResource(close.record.events), { window: ["delete"] });
    assert.deepEqual(await statuses(pair, "server2"), ["UP", "UP"]);
    const destroy = await stack.destroy();
    assert.deepEqual(operationsByResource(destroy.record.events), {});
  });
});
