// A Node.js Pulumi program using the plugin's ServerDrain type (not the dynamic resource),
// the plugin named by `plugins.providers[].path` in Pulumi.yaml (the tarball unpacked beside
// the program), real `pulumi up`, `refresh` and `destroy` against two HAProxy members whose
// stats pages need a password. Where this run's @pulumi/pulumi is one the generated Node.js
// SDK takes (sdk/nodejs, `^3.269.0`), the program uses that SDK, built and installed as a
// user's `npm install` would (ServerDrain and getClusterHealthOutput); on an older one, a
// hand-written thin pulumi.CustomResource with the plugin's token.
import { strict as assert } from "node:assert";
import fs from "node:fs";
import path from "node:path";
import { createStack, type TestStack } from "../support/pulumi-stack";
import { SETUP_TIMEOUT_MS, STATS_USER, appSpecs, newPassword, operationsByResource, prepareProjects, startApps, startPair, statuses, waitAllUp, type AppFleet, type AppSpec, type Pair } from "../e2e/helpers";
import { sdkVersion } from "../support/pulumi-sdk";
import { installNodeSdk, linkSdk, NODE_SDK_NEEDS, nodeSdkFits, removeTemp, RUN_ON, tempDir, unpackPlugin } from "./helpers";

const WITH_SDK = nodeSdkFits();

const PROGRAM = `"use strict";
const pulumi = require("@pulumi/pulumi");

/** The plugin's ServerDrain: its token is the whole contract; the plugin validates, applies defaults and acts. */
class ServerDrain extends pulumi.CustomResource {
  constructor(name, args, opts) {
    const outputs = { drainedOn: undefined, failedOn: undefined, drainedAt: undefined, adminState: undefined };
    super("haproxy-cluster:index:ServerDrain", name, { ...args, ...outputs }, { ...opts, additionalSecretOutputs: ["password"] });
  }
}

const config = new pulumi.Config();
const window = new ServerDrain("window", {
  members: config.requireObject("members"),
  username: config.require("statsUser"),
  password: config.requireSecret("statsPassword"),
  backend: "myapp",
  server: "server2",
});
exports.drainedOn = window.drainedOn;
exports.adminState = window.adminState;
exports.sdkVersion = require("@pulumi/pulumi/version").version;
`;

/** The same program on the generated Node.js SDK, which also reads the cluster's health. */
const SDK_PROGRAM = (sdk: string) => `"use strict";
const pulumi = require("@pulumi/pulumi");
const hc = require(${JSON.stringify(sdk)});

const config = new pulumi.Config();
const access = { members: config.requireObject("members"), username: config.require("statsUser"), password: config.requireSecret("statsPassword") };
const window = new hc.ServerDrain("window", { ...access, backend: "myapp", server: "server2" });
exports.drainedOn = window.drainedOn;
exports.adminState = window.adminState;
exports.sdkVersion = require("@pulumi/pulumi/version").version;
// Read while the program runs, before or after the drain: what does not depend on it.
exports.health = hc.getClusterHealthOutput({ ...access, backends: ["myapp"] }).apply((h) => h.members.map((m) => ({ member: m.member, backends: m.backends.map((b) => \`\${b.name} \${b.total}\`) })));
`;

const HOW = WITH_SDK ? "the generated Node.js SDK's ServerDrain and getClusterHealthOutput" : `a thin resource with the plugin's ServerDrain token (the generated SDK needs @pulumi/pulumi ${NODE_SDK_NEEDS})`;

describe(`plugin e2e: a Node.js program with ${HOW}, the plugin by path in Pulumi.yaml, pulumi up, refresh and destroy against two real HAProxy members (${RUN_ON})`, function () {
  this.timeout(600_000);
  const password = newPassword();
  let apps: AppSpec[];
  let fleet: AppFleet;
  let pair: Pair;
  let projectDir: string;
  let stack: TestStack;

  before(async function () {
    this.timeout(SETUP_TIMEOUT_MS);
    await prepareProjects();
    projectDir = await tempDir("node");
    const pluginDir = path.join(projectDir, "plugin");
    await unpackPlugin(pluginDir);
    await fs.promises.writeFile(
      path.join(projectDir, "Pulumi.yaml"),
      // Relative to the project, as the README shows it.
      "name: haproxy-node-plugin\nruntime: nodejs\nmain: index.js\nplugins:\n  providers:\n    - name: haproxy-cluster\n      path: ./plugin\n",
    );
    // The program's @pulumi/pulumi is the one this run tests (the plugin bundles the same release).
    await linkSdk(projectDir);
    await fs.promises.writeFile(path.join(projectDir, "index.js"), WITH_SDK ? SDK_PROGRAM(await installNodeSdk(projectDir)) : PROGRAM);
    apps = await appSpecs();
    fleet = await startApps(apps, "v1", "plugin-node");
    pair = await startPair(apps, password);
    await waitAllUp(pair, apps);
    stack = await createStack({ projectDir, label: "plugin-node", config: { members: pair.members, statsUser: STATS_USER }, secrets: { statsPassword: password } });
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

  it("up drains server2 on both members through the plugin, refresh finds no drift, destroy puts it back on fresh checks", async function () {
    const up = await stack.up();
    assert.deepEqual(operationsByResource(up.record.events), { window: ["create"] });
    assert.deepEqual(await statuses(pair, "server2"), ["DRAIN", "DRAIN"]);
    const outputs = await stack.outputs();
    assert.deepEqual(outputs.drainedOn, pair.members);
    assert.deepEqual(outputs.adminState, Object.fromEntries(pair.members.map((m) => [m, "drain"])));
    assert.equal(outputs.sdkVersion, sdkVersion(), "the program runs on the @pulumi/pulumi this run tests");
    // The SDK's invoke ran through the plugin and read both members.
    if (WITH_SDK) assert.deepEqual(outputs.health, pair.members.map((member) => ({ member, backends: ["myapp 3"] })));

    const exported = await stack.exportEncrypted();
    const window = exported.deployment.resources!.find((r) => String(r.urn).endsWith("::window"))!;
    assert.equal(window.type, "haproxy-cluster:index:ServerDrain", "the plugin's type, not the dynamic provider's");
    assert.match(String(window.provider), /pulumi:providers:haproxy-cluster::default/);
    assert.ok(!JSON.stringify(exported).includes(password), "the password is in plaintext state");
    assert.ok(!up.record.text.includes(password));

    const refresh = await stack.refresh();
    assert.deepEqual(refresh.summary.resourceChanges, { same: 2 }, "no drift");

    const destroy = await stack.destroy();
    assert.deepEqual(operationsByResource(destroy.record.events), { window: ["delete"] });
    assert.deepEqual(await statuses(pair, "server2"), ["UP", "UP"]);
  });
});
