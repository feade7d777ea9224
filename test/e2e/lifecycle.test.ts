// The Pulumi CLI's life around a program, with the SDK this run tests: a program that throws
// fails `pulumi preview` and `up` within seconds with its message first, and a SIGKILLed
// `pulumi up` leaves none of the processes it started (language host, program, dynamic
// provider) running. Small projects in temp dirs link this checkout and the SDK under test.
import { strict as assert } from "node:assert";
import { execFile, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { waitFor } from "../support/deadline";
import { SETUP_TIMEOUT_MS } from "./helpers";
import { pulumiBinDir, REPO_ROOT } from "../support/pulumi-stack";
import { selectedSdk, sdkVersion } from "../support/pulumi-sdk";
import { removeDir, trackDir, trackPid, untrackPid } from "../support/registry";

/** Generous: the measured figure is in the README; this bound only catches a regression to a minute. */
const FAIL_FAST_BOUND_MS = 30_000;
/** The language host checks its engine every 2 s, the provider its parent every second. */
const LEFTOVER_DEADLINE_MS = 30_000;

/** A Pulumi project in a temp dir whose node_modules link the SDK under test and this checkout. */
async function project(label: string, program: string): Promise<{ dir: string; env: NodeJS.ProcessEnv; bin: string }> {
  const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), `e2e-lifecycle-${label}-`));
  trackDir(dir);
  await fs.promises.writeFile(path.join(dir, "Pulumi.yaml"), `name: lifecycle-${label}\nruntime:\n  name: nodejs\n  options:\n    typescript: false\nmain: index.js\n`);
  await fs.promises.writeFile(path.join(dir, "package.json"), JSON.stringify({ name: `lifecycle-${label}`, private: true, main: "index.js" }));
  await fs.promises.writeFile(path.join(dir, "index.js"), program);
  await fs.promises.mkdir(path.join(dir, "node_modules", "@pulumi"), { recursive: true });
  await fs.promises.symlink(path.dirname(require.resolve(`${selectedSdk}/package.json`)), path.join(dir, "node_modules", "@pulumi", "pulumi"));
  await fs.promises.symlink(REPO_ROOT, path.join(dir, "node_modules", "haproxy-cluster"));
  const home = path.join(dir, ".pulumi-home");
  const backend = path.join(dir, ".state");
  await fs.promises.mkdir(backend);
  const bin = await pulumiBinDir();
  const env = {
    ...process.env,
    PATH: `${bin}${path.delimiter}${process.env.PATH ?? ""}`,
    PULUMI_HOME: home,
    PULUMI_BACKEND_URL: `file://${backend}`,
    PULUMI_CONFIG_PASSPHRASE: "lifecycle",
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
  };
  await promisify(execFile)(path.join(bin, "pulumi"), ["stack", "init", "test", "--non-interactive"], { cwd: dir, env, timeout: 60_000 });
  return { dir, env, bin };
}

/** pid → [ppid, state, command line] of every process, from /proc. */
function processTable(): Map<number, { ppid: number; state: string; args: string }> {
  const table = new Map<number, { ppid: number; state: string; args: string }>();
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      const [state, ppid] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const args = fs.readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0").join(" ").trim();
      table.set(Number(entry), { ppid: Number(ppid), state: state!, args });
    } catch {
      // gone meanwhile
    }
  }
  return table;
}

/** Every live (not zombie) descendant of `root`. */
function descendants(root: number): Map<number, string> {
  const table = processTable();
  const found = new Map<number, string>();
  let frontier = [root];
  while (frontier.length > 0) {
    const next: number[] = [];
    for (const [pid, p] of table) if (frontier.includes(p.ppid) && p.state !== "Z" && !found.has(pid)) (found.set(pid, p.args), next.push(pid));
    frontier = next;
  }
  return found;
}

const alive = (pid: number): boolean => {
  try {
    return !fs.readFileSync(`/proc/${pid}/stat`, "utf8").includes(") Z ");
  } catch {
    return false;
  }
};

describe(`e2e: the Pulumi CLI around a program (Node ${process.versions.node}, @pulumi/pulumi ${sdkVersion()})`, function () {
  this.timeout(10 * 60_000);
  const dirs: string[] = [];

  // On a cold machine the Pulumi CLI is still building when this file starts (npm test
  // builds it beside the cells): wait for it here, not inside a test's own deadline.
  before(async function () {
    this.timeout(SETUP_TIMEOUT_MS);
    await pulumiBinDir();
  });

  after(async function () {
    for (const dir of dirs) await removeDir(dir);
  });

  for (const operation of ["preview", "up"]) {
    it(`fails \`pulumi ${operation}\` of a program that throws within seconds, its message before Pulumi's summary`, async function () {
      this.timeout(5 * 60_000);
      const p = await project(`throws-${operation}`, `"use strict";\nconst hc = require("haproxy-cluster");\nnew hc.ServerDrian("web", {});\n`);
      dirs.push(p.dir);
      const started = Date.now();
      const result = await promisify(execFile)(path.join(p.bin, "pulumi"), [operation, ...(operation === "up" ? ["--yes"] : []), "--non-interactive", "--stack", "test"], { cwd: p.dir, env: p.env, timeout: 5 * 60_000 }).then(
        () => undefined,
        (error: Error & { code?: number; stdout?: string; stderr?: string }) => error,
      );
      const seconds = (Date.now() - started) / 1000;
      assert.ok(result, `pulumi ${operation} succeeded`);
      const text = `${result.stdout ?? ""}${result.stderr ?? ""}`;
      console.log(`      pulumi ${operation} of a throwing program failed after ${seconds.toFixed(1)} s`);
      const message = text.indexOf("hc.ServerDrian is not a constructor");
      assert.ok(message >= 0, `the program's message is shown:\n${text}`);
      const summary = text.search(/Resources:|Duration:/);
      assert.ok(summary < 0 || message < summary, `the message comes before the summary:\n${text}`);
      assert.ok(seconds * 1000 < FAIL_FAST_BOUND_MS, `failed after ${seconds.toFixed(1)} s:\n${text}`);
    });
  }

  it("leaves no language host, program or dynamic provider running after `pulumi up` is SIGKILLed mid-create", async function () {
    const marker = path.join(os.tmpdir(), `lifecycle-create-started-${process.pid}-${Date.now()}`);
    trackDir(marker);
    const program = `"use strict";
const pulumi = require("@pulumi/pulumi");
const provider = {
  async create(inputs) {
    require("fs").writeFileSync(inputs.marker, String(process.pid));
    await new Promise((resolve) => setTimeout(resolve, 600000));
    return { id: "never", outs: inputs };
  },
};
new pulumi.dynamic.Resource(provider, "hangs", { marker: ${JSON.stringify(marker)} });
`;
    const p = await project("sigkill", program);
    dirs.push(p.dir);
    const up = spawn(path.join(p.bin, "pulumi"), ["up", "--yes", "--non-interactive", "--stack", "test"], { cwd: p.dir, env: p.env, stdio: "ignore" });
    trackPid(up.pid!, "pulumi up (lifecycle)");
    const exited = new Promise((resolve) => up.once("exit", resolve));
    // The provider's create is running: the engine, language host, program and provider are all up.
    const providerPid = await waitFor("the dynamic provider's create to start", () => (fs.existsSync(marker) ? Number(fs.readFileSync(marker, "utf8")) : undefined), { timeoutMs: 120_000, intervalMs: 200 });
    const tree = descendants(up.pid!);
    const kinds = [...tree.values()];
    assert.ok(tree.has(providerPid), `the provider (pid ${providerPid}) is the engine's: ${kinds.join("\n")}`);
    assert.ok(kinds.some((a) => a.includes("pulumi-language-nodejs")), `a language host runs: ${kinds.join("\n")}`);
    assert.ok(kinds.some((a) => a.includes("cmd/run")), `the program runs: ${kinds.join("\n")}`);

    up.kill("SIGKILL");
    await exited;
    untrackPid(up.pid!);
    const left = await waitFor(
      "every process `pulumi up` started to exit",
      (note) => {
        const still = [...tree].filter(([pid]) => alive(pid));
        note(still.map(([pid, args]) => `${pid} ${args}`).join("\n"));
        return still.length === 0 ? still : undefined;
      },
      { timeoutMs: LEFTOVER_DEADLINE_MS, intervalMs: 250 },
    ).catch((error: Error) => {
      for (const pid of tree.keys()) if (alive(pid)) process.kill(pid, "SIGKILL");
      throw error;
    });
    assert.deepEqual(left, []);
  });
});
