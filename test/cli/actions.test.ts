// Server actions through the CLI on a real two-member cluster: every verb, partial
// failure, `ready --wait` on fresh checks only, and `drain --sessions` with each policy.
import assert from "node:assert/strict";
import http from "node:http";
import { waitFor } from "../support/deadline";
import { refusedPort } from "../support/fake-members";
import type { Cluster } from "../support/haproxy";
import type { AppServer } from "../support/app-server";
import { httpMemberWithPassword, runCli, show, startCli, useTwoMemberCluster } from "./helpers";

interface Held {
  /** Resolves when the request ends, with its status or the error that ended it. */
  done: Promise<{ status?: number; error?: string; endedAt: number }>;
}

/** A GET /hold?ms=… on its own connection (no keep-alive), so HAProxy's session ends with it. */
function hold(url: string, ms: number): Held {
  const done = new Promise<{ status?: number; error?: string; endedAt: number }>((resolve) => {
    const req = http.get(`${url}/hold?ms=${ms}`, { agent: false }, (res) => {
      res.resume();
      res.on("end", () => resolve({ status: res.statusCode, endedAt: Date.now() }));
      res.on("error", (e) => resolve({ error: e.message, endedAt: Date.now() }));
    });
    req.on("error", (e) => resolve({ error: e.message, endedAt: Date.now() }));
  });
  return { done };
}

describe("server actions on a two-member cluster", function () {
  let cluster: Cluster;
  let members: string[];
  useTwoMemberCluster((started, specs) => {
    cluster = started;
    members = specs;
  });

  const statusOn = async (server: string) => Promise.all(cluster.lbs.map(async (lb) => (await lb.stat("myapp", server)).status));

  /** Holds a request through lb1 and returns the app that holds it, once lb1 counts the session. */
  async function holdThroughLb1(ms: number): Promise<{ held: Held; app: AppServer }> {
    const lb1 = cluster.lbs[0]!;
    const held = hold(lb1.frontendUrl, ms);
    const app = await waitFor("an app to hold the request", async () => {
      const states = await Promise.all(cluster.apps.map((a) => a.state()));
      return cluster.apps.find((_, i) => states[i]!.openRequests >= 1);
    });
    await lb1.waitForRow("myapp", app.name, (r) => Number(r.scur) >= 1, 5_000);
    return { held, app };
  }

  it("drains a server on every member and reports each member on stderr", async function () {
    const r = await runCli(["drain", "--backend", "myapp", "--server", "server1", ...members]);
    assert.equal(r.code, 0, show(r));
    assert.equal(r.stdout, "");
    assert.equal(r.stderr, `${members[0]}: myapp/server1 drained\n${members[1]}: myapp/server1 drained\n`);
    assert.deepEqual(await statusOn("server1"), ["DRAIN", "DRAIN"]);
  });

  it("puts several servers in maintenance with maint and disable, and confirms with --wait", async function () {
    for (const verb of ["maint", "disable"]) {
      const r = await runCli([verb, "--backend", "myapp", "--server", "server2", "--server", "server3", "--wait", ...members]);
      assert.equal(r.code, 0, show(r));
      assert.match(r.stderr, new RegExp(`^${members[1]}: myapp/server2,server3 in maintenance, confirmed$`, "m"));
      assert.deepEqual([...(await statusOn("server2")), ...(await statusOn("server3"))], ["MAINT", "MAINT", "MAINT", "MAINT"]);
    }
  });

  it("brings servers back with enable --wait once fresh checks pass on every member", async function () {
    await runCli(["disable", "--backend", "myapp", "--server", "server2", ...members]);
    const r = await runCli(["enable", "--backend", "myapp", "--server", "server2", "--wait", "--timeout", "10", ...members]);
    assert.equal(r.code, 0, show(r));
    assert.match(r.stderr, /myapp\/server2 ready \(health forced down until fresh checks pass: server2\), confirmed/);
    assert.deepEqual(await statusOn("server2"), ["UP", "UP"]);
  });

  it("sets a weight on every member and prints the report as JSON with --json", async function () {
    const r = await runCli(["weight", "--backend", "myapp", "--server", "server3", "--weight", "7", "--json", ...members]);
    assert.equal(r.code, 0, show(r));
    const report = JSON.parse(r.stdout) as { action: string; changed: string[]; failed: string[] };
    assert.deepEqual([report.action, report.changed, report.failed], ["weight", members, []]);
    for (const lb of cluster.lbs) assert.equal((await lb.stat("myapp", "server3")).weight, "7");
  });

  it("rejects a bad weight with exit 3 before touching anything", async function () {
    const r = await runCli(["weight", "--backend", "myapp", "--server", "server3", "--weight", "300", ...members]);
    assert.equal(r.code, 3, show(r));
    assert.equal(r.stderr, '--weight must be a whole number from 0 to 256, or a percentage from 0% to 100%, not 300; run haproxy-cluster weight --help for the usage.\n');
  });

  it("kills a server's sessions with shutdown-sessions", async function () {
    const { held, app } = await holdThroughLb1(20_000);
    const r = await runCli(["shutdown-sessions", "--backend", "myapp", "--server", app.name, ...members]);
    assert.equal(r.code, 0, show(r));
    const end = await held.done;
    assert.ok(end.error !== undefined || end.status !== 200, `the held request was cut: ${JSON.stringify(end)}`);
  });

  it("fails with exit 3 on an unknown server and changes nothing", async function () {
    const r = await runCli(["drain", "--backend", "myapp", "--server", "server9", ...members]);
    assert.equal(r.code, 3, show(r));
    // Refused at the first read, before any member changes.
    assert.match(r.stderr, /backend myapp has no server server9; check the name\./);
    assert.deepEqual(await statusOn("server1"), ["UP", "UP"]);
  });

  it("on partial failure prints each member's result, says where it changed and how to undo, and exits 3", async function () {
    const dead = `tcp://127.0.0.1:${await refusedPort()}`;
    // --force: without it the capacity guard refuses everywhere, a member being unreadable.
    const r = await runCli(["drain", "--backend", "myapp", "--server", "server1", "--force", ...members, dead]);
    assert.equal(r.code, 3, show(r));
    const lines = r.stderr.trimEnd().split("\n");
    assert.equal(lines[0], `${members[0]}: myapp/server1 drained`);
    assert.equal(lines[1], `${members[1]}: myapp/server1 drained`);
    assert.match(lines[2]!, new RegExp(`^${dead}: myapp/server1 NOT drained: .*connection refused`));
    assert.match(lines[3]!, new RegExp(`It was applied on ${members[0]}, ${members[1]} only\\. To go back, run haproxy-cluster ready --backend myapp --server server1 ${members[0]} ${members[1]}; or fix the failing members and run haproxy-cluster drain --backend myapp --server server1 again`));
    assert.equal(lines.length, 4);
    assert.deepEqual(await statusOn("server1"), ["DRAIN", "DRAIN"]);
  });

  describe("ready --wait, on fresh health checks only", function () {
    it("takes a server coming back from maintenance through fresh checks, over the Runtime API and the stats page", async function () {
      // Leaving maint, HAProxy sets health to `rise` ("start OK but check immediately") and
      // sends traffic before any check passed, unless the verdict is forced down first.
      for (const via of [members, cluster.lbs.map(httpMemberWithPassword)]) {
        await runCli(["maint", "--backend", "myapp", "--server", "server2", ...via]);
        const r = await runCli(["ready", "--backend", "myapp", "--server", "server2", ...via]);
        const right = await statusOn("server2");
        assert.equal(r.code, 0, show(r));
        for (const status of right) assert.match(status, /^DOWN/, `right after ready via ${via[0]}: ${right.join(", ")}`);
        assert.match(r.stderr, /myapp\/server2 ready \(health forced down until fresh checks pass: server2\)/);
        const waited = await runCli(["ready", "--backend", "myapp", "--server", "server2", "--wait", "--timeout", "10", ...via]);
        assert.equal(waited.code, 0, show(waited));
        assert.deepEqual(await statusOn("server2"), ["UP", "UP"]);
      }
    });

    it("does not succeed while the app fails its check, even before HAProxy noticed; succeeds once it is healthy", async function () {
      const app = cluster.apps[0]!;
      await runCli(["drain", "--backend", "myapp", "--server", app.name, ...members]);
      await app.setReady(false);
      // HAProxy needs fall (2) × inter (500 ms) to notice; a plain `state ready` now would serve a failing app.
      const failing = await runCli(["ready", "--backend", "myapp", "--server", app.name, "--wait", "--timeout", "5", ...members]);
      assert.equal(failing.code, 2, show(failing));
      assert.equal((await app.state()).ready, false, "the app failed its check all along");
      const last = failing.stderr.trimEnd().split("\n").pop()!;
      assert.match(last, new RegExp(`^gave up waiting for myapp/${app.name} to be serving on fresh health checks on every member after 5 s; ${members[0]}: .*; ${members[1]}: .*The servers are set to ready on every member`));

      await app.setReady(true);
      const healthy = await runCli(["ready", "--backend", "myapp", "--server", app.name, "--wait", "--timeout", "10", ...members]);
      assert.equal(healthy.code, 0, show(healthy));
      assert.deepEqual(await statusOn(app.name), ["UP", "UP"]);
    });

    it("waits out an app restarted faster than HAProxy's checks notice, until its warm-up ends", async function () {
      const app = cluster.apps[1]!;
      await runCli(["drain", "--backend", "myapp", "--server", app.name, ...members]);
      // The warm-up lasts until the test ends it (endWarmup), once the second ready --wait is
      // seen waiting: a timed warm-up could end before a slow CLI start on a loaded machine.
      await app.restart({ warmupMs: 600_000 });
      // Watch the app itself: when did /check first answer 200?
      let warmedAt = 0;
      const watcher = waitFor("the restarted app to finish warming up", async () => {
        const res = await fetch(`${app.url}/check`);
        if (res.status === 200) warmedAt = Date.now();
        return res.status === 200 ? true : undefined;
      }, { timeoutMs: 120_000, intervalMs: 20 });

      const early = await runCli(["ready", "--backend", "myapp", "--server", app.name, "--wait", "--timeout", "2", ...members]);
      assert.equal(early.code, 2, show(early));
      assert.equal((await app.state()).warming, true, "the deadline came while the app was still warming up");

      const waiting = startCli(["ready", "--backend", "myapp", "--server", app.name, "--wait", "--timeout", "30", ...members]);
      await waiting.stderrMatch(/^poll 2 .*not yet serving on fresh health checks/m, 30_000);
      await app.endWarmup();
      const r = await waiting.result;
      await watcher;
      assert.equal(r.code, 0, show(r));
      assert.ok(r.endedAt >= warmedAt, `ready --wait returned ${warmedAt - r.endedAt} ms before the app answered its check`);
    });
  });

  describe("drain --sessions", function () {
    it("waits for an open session to end before returning", async function () {
      // Held until the CLI has said it waits for it, then released: a hold of fixed length
      // could end within the CLI's start-up on a loaded machine, before its first poll.
      const { held, app } = await holdThroughLb1(120_000);
      const draining = startCli(["drain", "--backend", "myapp", "--server", app.name, "--sessions", "--sessions-timeout", "20", ...members]);
      await draining.stderrMatch(new RegExp(`${members[0]} myapp .*not yet: myapp/${app.name} has 1 sessions`), 20_000);
      assert.equal(await app.releaseHeld(), 1);
      const r = await draining.result;
      const end = await held.done;
      assert.equal(r.code, 0, show(r));
      assert.equal(end.status, 200, "the held request finished normally");
      assert.ok(r.endedAt >= end.endedAt, `drain --sessions returned ${end.endedAt - r.endedAt} ms before the session ended`);
      assert.match(r.stderr, new RegExp(`myapp/${app.name}: no session and no queued request left on any member\\.`));
    });

    it("fails with exit 2 at the deadline by default, saying the servers stay drained", async function () {
      // Held until released after the deadline: a 5 s hold could end within the CLI's start-up and its 1 s deadline on a loaded machine.
      const { held, app } = await holdThroughLb1(120_000);
      const r = await runCli(["drain", "--backend", "myapp", "--server", app.name, "--sessions-timeout", "1", ...members]);
      assert.equal(r.code, 2, show(r));
      assert.match(r.stderr, new RegExp(`${members[0]}: myapp/${app.name} has 1 sessions.*The servers stay drained on every member; put them back with haproxy-cluster ready --backend myapp --server ${app.name}`));
      assert.deepEqual(await statusOn(app.name), ["DRAIN", "DRAIN"]);
      assert.equal(await app.releaseHeld(), 1, "the session was left alone");
      assert.equal((await held.done).status, 200, "the session was left alone");
    });

    it("succeeds with a warning at the deadline with --proceed", async function () {
      // Held until released after the deadline, as above.
      const { held, app } = await holdThroughLb1(120_000);
      const r = await runCli(["drain", "--backend", "myapp", "--server", app.name, "--sessions-timeout", "1", "--proceed", ...members]);
      assert.equal(r.code, 0, show(r));
      assert.match(r.stderr, new RegExp(`warning: myapp/${app.name} still has sessions after 1 s \\(${members[0]}: 1, ${members[1]}: 0\\); proceeding as asked`));
      assert.equal(await app.releaseHeld(), 1, "--proceed leaves the session alone");
      assert.equal((await held.done).status, 200);
    });

    it("kills the remaining sessions at the deadline with --shutdown-sessions", async function () {
      const { held, app } = await holdThroughLb1(20_000);
      const r = await runCli(["drain", "--backend", "myapp", "--server", app.name, "--sessions-timeout", "1", "--shutdown-sessions", ...members]);
      assert.equal(r.code, 0, show(r));
      assert.match(r.stderr, /were shut down/);
      const end = await held.done;
      assert.ok(end.error !== undefined || end.status !== 200, `the held request was cut: ${JSON.stringify(end)}`);
    });
  });
});
