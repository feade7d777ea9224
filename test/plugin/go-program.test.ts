// A Pulumi Go program using the generated Go SDK (sdk/go), run through the Automation API's
// inline programs from Go (test/plugin/go-program, built here with `go build`), with the local
// CLI from scripts/pulumi-cli.sh, a file backend and the plugin installed from its tarball: the
// ServerDrain window of yaml.test.ts on two real HAProxy members. up drains server2 on both,
// refresh shows a hand-made drift and up repairs it, removing the window from the program puts
// server2 back on fresh checks, destroy leaves the members alone.
import { strict as assert } from "node:assert";
import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { BACKEND, SETUP_TIMEOUT_MS, STATS_USER, appSpecs, fingerprint, newPassword, runtimeAction, startApps, startPair, statuses, waitAllUp, type AppFleet, type AppSpec, type Pair } from "../e2e/helpers";
import { pulumiBinDir, REPO_ROOT } from "../support/pulumi-stack";
import { go, goEnv } from "./go";
import { PLUGIN_VERSION, pluginTarball, removeTemp, RUN_ON, tempDir } from "./helpers";

const PROGRAM_DIR = path.join(REPO_ROOT, "test", "plugin", "go-program");
/** One up, refresh or destroy of the Go program (the engine, the plugin and two members). */
const OPERATION_TIMEOUT_MS = 5 * 60_000;

interface Result {
  changes: Record<string, number>;
  outputs: Record<string, unknown>;
}

describe(`plugin e2e: a Go program with the generated Go SDK through the Automation API, up, refresh and destroy against two real HAProxy members (${RUN_ON})`, function () {
  this.timeout(600_000);
  const password = newPassword();
  let apps: AppSpec[];
  let fleet: AppFleet;
  let pair: Pair;
  let scratch: string;
  let program: string;
  let env: NodeJS.ProcessEnv;

  /** Runs the built program for one operation; its answer is the operation's changes and the outputs. */
  async function run(operation: "up" | "refresh" | "destroy", { window }: { window: boolean }): Promise<Result> {
    try {
      const { stdout } = await promisify(execFile)(program, [operation], { env: { ...env, HC_WINDOW: String(window) }, timeout: OPERATION_TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024 });
      const answer = stdout.trim().split("\n").pop()!;
      assert.ok(!stdout.includes(password), `the Go program printed the password during ${operation}`);
      return JSON.parse(answer) as Result;
    } catch (error) {
      const { stdout = "", stderr = "" } = error as { stdout?: string; stderr?: string };
      throw new Error(`go-program ${operation} failed: ${(error as Error).message}\n${stdout.slice(-4000)}\n${stderr.slice(-4000)}`);
    }
  }

  before(async function () {
    this.timeout(SETUP_TIMEOUT_MS);
    scratch = await tempDir("go");
    program = path.join(scratch, "go-program");
    const started = Date.now();
    await go(["build", "-mod=readonly", "-trimpath", "-o", program, "."], PROGRAM_DIR);
    process.stderr.write(`      (go build of the Go program: ${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
    const bin = await pulumiBinDir();
    const [home, state, work] = ["home", "state", "work"].map((d) => path.join(scratch, d));
    for (const dir of [home, state, work]) await fs.promises.mkdir(dir);
    const cliEnv = { ...process.env, PULUMI_HOME: home, PULUMI_SKIP_UPDATE_CHECK: "true" };
    const { stdout, stderr } = await promisify(execFile)(path.join(bin, "pulumi"), ["plugin", "install", "resource", "haproxy-cluster", PLUGIN_VERSION, "--file", await pluginTarball(), "--non-interactive"], { env: cliEnv, timeout: 120_000 });
    assert.match(stdout + stderr, /install/i);
    apps = await appSpecs();
    fleet = await startApps(apps, "v1", "plugin-go");
    pair = await startPair(apps, password);
    await waitAllUp(pair, apps);
    env = goEnv({
      HC_PULUMI_ROOT: path.dirname(bin),
      HC_WORK_DIR: work,
      HC_BACKEND_URL: `file://${state}`,
      HC_PULUMI_HOME: home,
      HC_MEMBERS: JSON.stringify(pair.members),
      HC_STATS_USER: STATS_USER,
      HC_STATS_PASSWORD: password,
      HC_BACKEND: BACKEND,
    });
  });

  after(async function () {
    try {
      if (env) await run("destroy", { window: false }).catch(() => undefined);
    } finally {
      await pair?.stop();
      await fleet?.stop();
      await removeTemp(scratch);
    }
  });

  it("up drains server2 on both members; state holds the password only encrypted; refresh shows a hand-made drift and up repairs it", async function () {
    const up = await run("up", { window: true });
    assert.equal(up.changes.create, 2, `the stack and the window are created: ${JSON.stringify(up.changes)}`);
    assert.deepEqual(await statuses(pair, "server2"), ["DRAIN", "DRAIN"]);
    for (const other of ["server1", "server3"]) assert.deepEqual(await statuses(pair, other), ["UP", "UP"], other);
    assert.deepEqual(up.outputs.drainedOn, pair.members);
    for (const { file, text } of await stateFiles(path.join(scratch, "state"))) assert.ok(!text.includes(password), `${file} holds the password in plaintext`);

    await runtimeAction(pair.lbs[1]!, `set server ${BACKEND}/server2 state ready`);
    await pair.lbs[1]!.waitForStatus(BACKEND, "server2", (s) => s === "UP");
    const refresh = await run("refresh", { window: true });
    assert.equal(refresh.changes.update, 1, `refresh shows the drift: ${JSON.stringify(refresh.changes)}`);
    // A refresh updates the resources' state, not the stack's outputs (the program did not run).
    assert.deepEqual((await windowState(path.join(scratch, "state"))).outputs.drainedOn, [pair.members[0]]);
    assert.deepEqual(await statuses(pair, "server2"), ["DRAIN", "UP"], "refresh only reads");

    const repair = await run("up", { window: true });
    assert.equal(repair.changes.update, 1, JSON.stringify(repair.changes));
    assert.deepEqual(await statuses(pair, "server2"), ["DRAIN", "DRAIN"]);
  });

  it("removing the window from the program puts server2 back on fresh checks on both members by the time up returns; destroy changes nothing", async function () {
    const close = await run("up", { window: false });
    assert.equal(close.changes.delete, 1, JSON.stringify(close.changes));
    assert.deepEqual(await statuses(pair, "server2"), ["UP", "UP"]);
    const rows = await Promise.all(pair.lbs.map((lb) => lb.stat(BACKEND, "server2")));
    assert.deepEqual(rows.map((r) => r.check_status.replace(/^\* /, "")), ["L7OK", "L7OK"], "back on a passed check");

    const before = await fingerprint(pair);
    const destroy = await run("destroy", { window: false });
    assert.equal(destroy.changes.delete, 1, `only the stack is left to delete: ${JSON.stringify(destroy.changes)}`);
    assert.deepEqual(await fingerprint(pair), before);
  });
});

/** Every file of the file backend, with its text. */
async function stateFiles(dir: string): Promise<Array<{ file: string; text: string }>> {
  const files: Array<{ file: string; text: string }> = [];
  for (const entry of await fs.promises.readdir(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) files.push({ file: entry.name, text: await fs.promises.readFile(path.join(entry.parentPath, entry.name), "utf8").catch(() => "") });
  }
  return files;
}

/** The ServerDrain's state in the file backend's checkpoint of the stack. */
async function windowState(dir: string): Promise<{ outputs: Record<string, unknown> }> {
  // <stack>.json is the current checkpoint; the others are the backend's backups and history.
  const checkpoints = (await stateFiles(dir)).filter(({ file }) => file === "test.json");
  assert.equal(checkpoints.length, 1, `one stack checkpoint: ${checkpoints.map((c) => c.file).join(", ")}`);
  const checkpoint = JSON.parse(checkpoints[0]!.text) as { checkpoint: { latest: { resources: Array<{ type: string; outputs: Record<string, unknown> }> } } };
  const window = checkpoint.checkpoint.latest.resources.find((r) => r.type === "haproxy-cluster:index:ServerDrain");
  assert.ok(window, "the stack holds the window");
  return window;
}
