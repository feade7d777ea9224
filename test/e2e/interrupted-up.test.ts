// An interrupted `pulumi up` while a ServerDrain is being created (Ctrl-C once, Ctrl-C
// twice, kill -9), with the server already drained on every member: the README's
// recovery (pulumi cancel, pulumi refresh --clear-pending-creates, pulumi up) must end
// with the drain tracked in state, so that destroy puts the server back everywhere, and
// no process of the interrupted up may outlive it.
// Real pulumi CLI, real HAProxy pair over the Runtime API, a session held through lb1 so
// that the create is waiting for sessions when it is interrupted.
import { strict as assert } from "node:assert";
import type { ChildProcess } from "node:child_process";
import http from "node:http";
import path from "node:path";
import { waitFor } from "../support/deadline";
import { startCluster, type Cluster } from "../support/haproxy";
import { memberSpec } from "../support/member-specs";
import { createStack, type TestStack } from "../support/pulumi-stack";
import { trackPid, untrackPid } from "../support/registry";
import { EXAMPLES_DIR, SETUP_TIMEOUT_MS, prepareProjects } from "./helpers";

const PROJECT = path.join(EXAMPLES_DIR, "maintenance-window");

interface Ran {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
}

/** Collects a pulumi process's output; resolves when it exits. Tracked so a failed test never leaves it. */
function watch(child: ChildProcess, label: string): { done: Promise<Ran>; output: () => string } {
  let output = "";
  trackPid(child.pid!, label);
  child.stdout!.on("data", (c: Buffer) => (output += c.toString()));
  child.stderr!.on("data", (c: Buffer) => (output += c.toString()));
  const done = new Promise<Ran>((resolve) => child.once("close", (code, signal) => resolve({ code, signal, output })));
  void done.then(() => untrackPid(child.pid!));
  return { done, output: () => output };
}

async function run(stack: TestStack, args: string[]): Promise<Ran> {
  const child = stack.spawnCli(args);
  const ran = await watch(child, `pulumi ${args[0]}`).done;
  return ran;
}

/** Whether any process of the group is still running. */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Ends every process left in the interrupted up's process group (only after a failed check). */
function endGroup(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch {
    return false;
  }
  try {
    process.kill(-pgid, "SIGKILL");
  } catch {
    /* gone meanwhile */
  }
  return true;
}

describe("e2e: an interrupted pulumi up during a ServerDrain create, then the README's recovery", function () {
  this.timeout(600_000);
  let rig: Cluster;
  let members: string[];
  let stack: TestStack;

  before(async function () {
    this.timeout(SETUP_TIMEOUT_MS);
    await prepareProjects(PROJECT);
    rig = await startCluster({ members: 2, servers: 3, check: { interMs: 200, rise: 2, fall: 2 } });
    members = [memberSpec(rig.lbs[0]!, "unix"), memberSpec(rig.lbs[1]!, "tcp")];
    stack = await createStack({ projectDir: PROJECT, label: "interrupted", config: { members, waitForSessions: true, sessionsTimeoutSeconds: 600 } });
  });
  after(async function () {
    await stack?.cleanup();
    await rig?.stop();
  });

  const interruptions: Array<[string, (up: ChildProcess) => Promise<void>]> = [
    ["Ctrl-C once", async (up) => void process.kill(-up.pid!, "SIGINT")],
    [
      "Ctrl-C twice",
      async (up) => {
        process.kill(-up.pid!, "SIGINT");
        await new Promise((resolve) => setTimeout(resolve, 500));
        // pulumi may already have ended on the first one.
        if (up.exitCode === null && up.signalCode === null) process.kill(-up.pid!, "SIGINT");
      },
    ],
    ["kill -9 of pulumi", async (up) => void process.kill(up.pid!, "SIGKILL")],
  ];

  for (const [label, interrupt] of interruptions) {
    it(`${label}: the recovery ends with the drain in state, and destroy puts the server back on every member`, async function () {
      // A session held through lb1 on some server: the create will wait for it to end.
      const held = http.get(`${rig.lbs[0]!.frontendUrl}/hold?ms=600000`, { agent: false });
      held.on("error", () => undefined);
      const app = await waitFor("an app to hold the request", async () => {
        const states = await Promise.all(rig.apps.map((a) => a.state()));
        return rig.apps.find((_, i) => states[i]!.openRequests >= 1);
      });
      await stack.setConfig({ server: app.name });

      const up = stack.spawnCli(["up", "--yes", "--skip-preview"]);
      const upRun = watch(up, "pulumi up (to interrupt)");
      try {
        await Promise.all(rig.lbs.map((lb) => lb.waitForStatus("myapp", app.name, (s) => s === "DRAIN", 120_000)));
        await interrupt(up);
        // A single Ctrl-C lets the create finish: end the session it waits for.
        if (label === "Ctrl-C once") held.destroy();
        const interrupted = await Promise.race([
          upRun.done,
          new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`pulumi up did not end after ${label}:\n${upRun.output()}`)), 120_000)),
        ]);
        // Ctrl-C once may let the whole up finish (exit 0); the others must not report success.
        if (label !== "Ctrl-C once") assert.notEqual(interrupted.code, 0, `the up was interrupted: ${interrupted.output}`);
        // Nothing of ours outlives the engine: the language host and the dynamic provider
        // end when it is gone (the session they waited for is still held here).
        await waitFor(`every process of the interrupted up (group ${up.pid}) to end`, () => (groupAlive(up.pid!) ? undefined : true), { timeoutMs: 60_000, intervalMs: 250 });
      } finally {
        held.destroy();
        endGroup(up.pid!);
      }
      assert.deepEqual(await Promise.all(rig.lbs.map(async (lb) => (await lb.stat("myapp", app.name)).status)), ["DRAIN", "DRAIN"], "the server is out on every member");

      // The README's recovery, verbatim.
      await run(stack, ["cancel", "--yes"]); // removes the lock a killed up leaves; harmless otherwise
      const refresh = await run(stack, ["refresh", "--clear-pending-creates", "--yes", "--skip-preview"]);
      assert.equal(refresh.code, 0, refresh.output);
      const again = await run(stack, ["up", "--yes", "--skip-preview"]);
      assert.equal(again.code, 0, again.output);
      const outputs = await stack.outputs();
      assert.equal((outputs.drainedOn as string[]).length, 2, `tracked in state on both members: ${JSON.stringify(outputs)}`);

      const destroyed = await run(stack, ["destroy", "--yes", "--skip-preview"]);
      assert.equal(destroyed.code, 0, destroyed.output);
      assert.deepEqual(await Promise.all(rig.lbs.map(async (lb) => (await lb.stat("myapp", app.name)).status)), ["UP", "UP"], "back in rotation everywhere");
    });
  }
});
