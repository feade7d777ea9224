// The rolling deploy as a user would run it: haproxy-cluster installed from `npm pack`
// into a fresh Pulumi project outside this repository (the example's files copied there),
// then real `pulumi up` v1 → v2 against two HAProxy members, watched every 50 ms.
import { sdkVersion } from "../support/pulumi-sdk";
import { strict as assert } from "node:assert";
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { createStack, type TestStack } from "../support/pulumi-stack";
import { removeDir, trackDir } from "../support/registry";
import {
  FAST_GATE,
  REPO_ROOT,
  ROLLING_DEPLOY_DIR,
  SETUP_TIMEOUT_MS,
  STATS_USER,
  appSpecs,
  newPassword,
  prepareProjects,
  rolloutProblems,
  servedVersions,
  startApps,
  startPair,
  startWatcher,
  waitAllUp,
  type AppFleet,
  type AppSpec,
  type Pair,
  type WatchResult,
} from "./helpers";

// The TypeScript entry (index.ts) is the program here; index.js is left out so none is ambiguous.
const EXAMPLE_FILES = ["index.ts", "tsconfig.json", "program.js", "config-settings.js", "app-deployment.js", "app-process.js", "app.js", "apps.js", "Pulumi.yaml", "package.json"];
const NPM_TIMEOUT_MS = 10 * 60_000;

describe(`e2e: examples/rolling-deploy in TypeScript with haproxy-cluster installed from npm pack, in a project outside the repository (Node ${process.versions.node}, @pulumi/pulumi ${sdkVersion()})`, function () {
  this.timeout(900_000);
  const password = newPassword();
  let workDir: string;
  let projectDir: string;
  let apps: AppSpec[];
  let fleet: AppFleet;
  let pair: Pair;
  let stack: TestStack;

  before(async function () {
    this.timeout(SETUP_TIMEOUT_MS);
    await prepareProjects();
    workDir = await fs.promises.mkdtemp(path.join(os.tmpdir(), "e2e-packed-"));
    trackDir(workDir);
    assert.ok(path.relative(REPO_ROOT, workDir).startsWith(".."), `${workDir} is outside the repository`);
    const npm = (args: string[], cwd: string) => promisify(execFile)("npm", args, { cwd, timeout: NPM_TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024 });
    const packed = JSON.parse((await npm(["pack", "--json", "--pack-destination", workDir], REPO_ROOT)).stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
    const tarball = path.join(workDir, packed[0]!.filename);
    assert.ok(packed[0]!.files.some((f) => f.path === "dist/provider/pulumi/impl/index.js"), "the package holds the providers' implementation");
    assert.ok(!packed[0]!.files.some((f) => f.path.startsWith("dist/test/")), "and no tests");

    projectDir = path.join(workDir, "rolling-deploy");
    await fs.promises.mkdir(projectDir);
    for (const file of EXAMPLE_FILES) await fs.promises.copyFile(path.join(ROLLING_DEPLOY_DIR, file), path.join(projectDir, file));
    const pulumiYaml = path.join(projectDir, "Pulumi.yaml");
    const yaml = (await fs.promises.readFile(pulumiYaml, "utf8")).replace("typescript: false", "typescript: true").replace(/^main: index\.js$/m, "main: index.ts");
    assert.match(yaml, /typescript: true[\s\S]*main: index\.ts/, "the project runs index.ts");
    await fs.promises.writeFile(pulumiYaml, yaml);
    const manifest = JSON.parse(await fs.promises.readFile(path.join(projectDir, "package.json"), "utf8"));
    manifest.dependencies["haproxy-cluster"] = `file:${tarball}`;
    // The project's own SDK, the one this run tests (haproxy-cluster takes it as a peer).
    manifest.dependencies["@pulumi/pulumi"] = sdkVersion();
    await fs.promises.writeFile(path.join(projectDir, "package.json"), JSON.stringify(manifest, null, 2));
    await npm(["install", "--no-audit", "--no-fund"], projectDir);
    const installed = path.join(projectDir, "node_modules", "haproxy-cluster");
    assert.ok(!(await fs.promises.lstat(installed)).isSymbolicLink(), "installed as files, not linked to the checkout");
    // The program type-checks against the package's published types, as the user's editor sees them.
    await promisify(execFile)(path.join(projectDir, "node_modules", ".bin", "tsc"), ["-p", "."], { cwd: projectDir, timeout: 120_000 }).catch((error: Error & { stdout?: string }) => {
      throw new Error(`tsc -p . in the project failed:\n${error.stdout ?? error.message}`);
    });
    // `npm ls --parseable` prints one path per installed copy (deduped ones are not copies).
    const copies = (await npm(["ls", "@pulumi/pulumi", "--all", "--parseable"], projectDir)).stdout.trim().split("\n");
    assert.deepEqual(copies, [path.join(projectDir, "node_modules", "@pulumi", "pulumi")], "one @pulumi/pulumi in the project's tree, the project's own");

    apps = await appSpecs();
    fleet = await startApps(apps, "v0", "packed");
    pair = await startPair(apps, password);
    await waitAllUp(pair, apps);
    stack = await createStack({
      projectDir,
      label: "packed",
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
      if (workDir) await removeDir(workDir);
    }
  });

  async function deployWatched(version: string): Promise<{ watched: WatchResult; fromPids: Record<string, number | null> }> {
    await stack.setConfig({ version });
    const fromPids = fleet.pids();
    const watcher = startWatcher(pair, apps);
    let watched: WatchResult | undefined;
    try {
      await stack.up();
      watched = await watcher.stop();
      return { watched, fromPids };
    } finally {
      if (!watched) await watcher.stop();
    }
  }

  it("up v1, then v2: at most one server out of rotation on any member, each drained before its app restarts and back before the next; every server ends serving v2", async function () {
    for (const version of ["v1", "v2"]) {
      const { watched, fromPids } = await deployWatched(version);
      assert.deepEqual(rolloutProblems(watched, { apps, fromPids, toVersion: version, batchSize: 1, memberNames: ["lb1", "lb2"] }), [], version);
      assert.deepEqual(await servedVersions(pair, apps, version), [], version);
    }
    assert.deepEqual((await stack.outputs()).versions, Object.fromEntries(apps.map((a) => [a.name, "v2"])));
  });

  it("keeps providers in state that load the library from the project's node_modules, not from this checkout", async function () {
    const state = await stack.stack.exportStack();
    const ours = (state.deployment.resources ?? []).filter((r: { type: string }) => /:(ServerDrain|ClusterReadinessGate)$/.test(r.type));
    assert.equal(ours.length, 7);
    for (const r of ours) {
      const text = String(r.inputs.__provider);
      assert.ok(!text.includes(REPO_ROOT), `${r.urn}: its provider does not name ${REPO_ROOT}`);
      assert.match(text, /haproxy-cluster\/dist\/provider\/pulumi\/impl/, r.urn);
    }
  });
});
