// The held restart, `drain … -- COMMAND`, told to stop (SIGTERM from a cancelled CI job,
// SIGINT from Ctrl-C) on a real two-member cluster: COMMAND's process group is stopped,
// nothing of ours is left running, stderr says what each member shows and the command
// that puts the server back, and that command works.
import assert from "node:assert/strict";
import http from "node:http";
import { waitFor } from "../support/deadline";
import type { Cluster } from "../support/haproxy";
import { childrenOf, isRunning, processGroup, type ProcessInfo } from "../support/processes";
import { runCli, show, startCli, useTwoMemberCluster, type CliResult, type RunningCli } from "./helpers";
import { literally } from "../support/regexp";

const EXIT_ON = { SIGTERM: 143, SIGINT: 130 } as const;

describe("an interrupted held restart", function () {
  this.timeout(120_000);
  let cluster: Cluster;
  let members: string[];
  useTwoMemberCluster((started, specs) => {
    cluster = started;
    members = specs;
  });

  const statusOn = async (server: string) => Promise.all(cluster.lbs.map(async (lb) => (await lb.stat("myapp", server)).status));
  const drainedEverywhere = (server: string) => Promise.all(cluster.lbs.map((lb) => lb.waitForStatus("myapp", server, (s) => s.startsWith("DRAIN") || /\(drain\)/.test(s), 20_000)));
  const heldRestart = (server: string, command: string[], options: string[] = []) =>
    startCli(["drain", "--backend", "myapp", "--server", server, ...options, ...members, "--", ...command], { timeoutMs: 100_000 });

  /** COMMAND as the CLI started it: its child named `comm`, once it runs. */
  const commandOf = (cli: RunningCli, comm: string) =>
    waitFor(`${comm} started by the CLI`, (note) => {
      const children = childrenOf(cli.pid);
      note(JSON.stringify(children));
      return children.find((p) => p.comm === comm);
    }, { timeoutMs: 20_000, intervalMs: 50 });

  /** The way back the message gives, as arguments for the CLI. */
  function wayBack(r: CliResult, server: string): string[] {
    const line = new RegExp(`(?:Put it back once the app is healthy: |to wait for that, run )haproxy-cluster (ready --backend myapp --server ${server} --wait .*)$`, "m").exec(r.stderr);
    assert.ok(line, `the message gives the way back:\n${show(r)}`);
    return line[1]!.split(" ");
  }

  /** Nothing of the CLI or of COMMAND's process group runs any more. */
  function assertNothingLeft(cli: RunningCli, command: ProcessInfo): void {
    assert.equal(isRunning(cli.pid), false, "the CLI has ended");
    assert.equal(isRunning(command.pid), false, `${command.comm} (PID ${command.pid}) has ended`);
    assert.deepEqual(processGroup(command.pgid), [], `no process is left in COMMAND's process group ${command.pgid}`);
  }

  const membersSay = (state: string) => members.map((m) => `${m} ${state}`).join("; ");

  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    it(`on ${signal} while COMMAND runs: stops its process group, says each member's state and the way back, which works`, async function () {
      const cli = heldRestart("server3", ["sleep", "30"]);
      await drainedEverywhere("server3");
      const sleep = await commandOf(cli, "sleep");
      assert.equal(sleep.pgid, sleep.pid, "COMMAND leads a process group of its own");

      cli.kill(signal);
      const r = await cli.result;
      assert.equal(r.code, EXIT_ON[signal], show(r));
      assertNothingLeft(cli, sleep);
      const back = `haproxy-cluster ready --backend myapp --server server3 --wait ${members.join(" ")}`;
      assert.ok(
        r.stderr.endsWith(`interrupted by ${signal}: sleep was stopped: it ended on ${signal}; myapp/server3 now: ${membersSay("DRAIN")}. Put it back once the app is healthy: ${back}\n`),
        show(r),
      );
      assert.deepEqual(await statusOn("server3"), ["DRAIN", "DRAIN"]);

      const again = await runCli(wayBack(r, "server3"));
      assert.equal(again.code, 0, show(again));
      assert.deepEqual(await statusOn("server3"), ["UP", "UP"]);
    });
  }

  it("on SIGTERM during the sessions wait: COMMAND never runs, the message says so and how to put the server back", async function () {
    // A request held on lb1 keeps a session open on the server that takes it.
    const held = http.get(`${cluster.lbs[0]!.frontendUrl}/hold?ms=60000`, { agent: false }, (res) => res.resume());
    held.on("error", () => undefined);
    const app = await waitFor("an app to hold the request", async () => {
      const states = await Promise.all(cluster.apps.map((a) => a.state()));
      return cluster.apps.find((_, i) => states[i]!.openRequests >= 1);
    });
    try {
      const cli = heldRestart(app.name, ["sleep", "30"], ["--sessions", "--sessions-timeout", "90"]);
      await drainedEverywhere(app.name);
      await cli.stderrMatch(new RegExp(`has 1 sessions`));
      cli.kill("SIGTERM");
      const r = await cli.result;
      assert.equal(r.code, 143, show(r));
      assert.doesNotMatch(r.stderr, /stopping sleep/);
      assert.match(r.stderr, new RegExp(`interrupted by SIGTERM: sleep was not run; myapp/${app.name} now: ${literally(membersSay("DRAIN"))}\\. Put it back once the app is healthy: haproxy-cluster ready --backend myapp --server ${app.name} --wait ${literally(members.join(" "))}\n$`));
      assert.deepEqual(childrenOf(cli.pid), []);

      const again = await runCli(wayBack(r, app.name));
      assert.equal(again.code, 0, show(again));
      assert.deepEqual(await statusOn(app.name), ["UP", "UP"]);
    } finally {
      // HAProxy keeps the server side open after the client leaves: end the session there.
      await cluster.lbs[0]!.runtime(`shutdown sessions server myapp/${app.name}`);
      held.destroy();
    }
  });

  it("on SIGTERM once COMMAND succeeded, during the wait for fresh checks: the server is put back, and the message says how to wait for it", async function () {
    const app = cluster.apps[2]!;
    await app.setReady(false); // its checks fail: the wait for fresh checks goes on until the signal
    const cli = heldRestart(app.name, ["true"], ["--ready-timeout", "90"]);
    await cli.stderrMatch(/true finished; putting myapp\/server3 back on fresh health checks\./);
    // Put back: ready again (not drained) on both members, its health forced down.
    await Promise.all(cluster.lbs.map((lb) => lb.waitForStatus("myapp", app.name, (s) => s.startsWith("DOWN") && !s.includes("drain"), 20_000)));
    cli.kill("SIGTERM");
    const r = await cli.result;
    assert.equal(r.code, 143, show(r));
    assert.match(
      r.stderr,
      new RegExp(
        `interrupted by SIGTERM: true had finished and myapp/server3 was being put back; myapp/server3 now: ${literally(members[0]!)} DOWN[^;]*; ${literally(members[1]!)} DOWN[^.]*\\. It takes traffic once fresh health checks pass; to wait for that, run haproxy-cluster ready --backend myapp --server server3 --wait ${literally(members.join(" "))}\n$`,
      ),
    );
    assert.deepEqual(childrenOf(cli.pid), []);

    await app.setReady(true);
    const again = await runCli(wayBack(r, "server3"));
    assert.equal(again.code, 0, show(again));
    assert.deepEqual(await statusOn("server3"), ["UP", "UP"]);
  });

  it("on a second SIGTERM, stops at once (COMMAND's group killed) and still says the state and the way back", async function () {
    // A COMMAND that ignores SIGTERM, as does the sleep it runs (an ignored signal stays ignored across exec).
    const cli = heldRestart("server3", ["sh", "-c", "trap '' TERM; sleep 30; true"]);
    await drainedEverywhere("server3");
    const sh = await commandOf(cli, "sh");
    await waitFor("sh to start sleep", () => (childrenOf(sh.pid).some((p) => p.comm === "sleep") ? true : undefined), { timeoutMs: 20_000, intervalMs: 50 });

    cli.kill("SIGTERM");
    await cli.stderrMatch(/SIGTERM: stopping sh \(SIGTERM to its process group, SIGKILL after 10 s\); a second SIGTERM stops at once\./);
    const secondAt = Date.now();
    cli.kill("SIGTERM");
    const r = await cli.result;
    assert.equal(r.code, 143, show(r));
    assert.ok(r.endedAt - secondAt < 5_000, `ended at once, not after the 10 s grace: ${r.endedAt - secondAt} ms`);
    assertNothingLeft(cli, sh);
    assert.ok(
      r.stderr.endsWith(
        `stopped at once by a second SIGTERM: sh and its process group were killed (SIGKILL); myapp/server3 was last seen drained on ${members.join(", ")} (not read again). Put it back once the app is healthy: haproxy-cluster ready --backend myapp --server server3 --wait ${members.join(" ")}\n`,
      ),
      show(r),
    );
    assert.deepEqual(await statusOn("server3"), ["DRAIN", "DRAIN"]);

    const again = await runCli(wayBack(r, "server3"));
    assert.equal(again.code, 0, show(again));
    assert.deepEqual(await statusOn("server3"), ["UP", "UP"]);
  });
});
