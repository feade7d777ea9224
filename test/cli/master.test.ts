// The CLI against HAProxy's master CLI (master-worker mode, `-S`), locally and over SSH:
// detected from its answers, reads from the current worker, changes to every live
// worker, old workers (alive after a reload while they hold a connection) included.
import assert from "node:assert/strict";
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { startAppServer, type AppServer } from "../support/app-server";
import { waitFor } from "../support/deadline";
import { startMasterWorker, type MasterWorkerHaproxy } from "../support/haproxy-master";
import { makeSshKeys, startSshd, type Sshd, type SshKeys } from "../support/sshd";
import { runCli, show } from "./helpers";

describe("members on HAProxy's master socket", function () {
  this.timeout(120_000);
  let apps: AppServer[];
  let lb: MasterWorkerHaproxy;
  let keys: SshKeys;
  let sshd: Sshd;
  let knownHosts: string;

  before(async function () {
    apps = await Promise.all(["s1", "s2", "s3"].map((name) => startAppServer({ name })));
    lb = await startMasterWorker({ name: "mw", backends: [{ name: "be", servers: apps.map((a) => ({ name: a.name, port: a.port })) }] });
    keys = await makeSshKeys();
    sshd = await startSshd({ keys });
    knownHosts = path.join(keys.dir, "known_hosts");
    fs.writeFileSync(knownHosts, sshd.knownHosts);
  });
  after(async function () {
    await Promise.all([lb?.stop(), sshd?.stop(), ...(apps ?? []).map((a) => a.stop())]);
  });

  const local = () => [`unix:${lb.masterSocket}`];
  const overSsh = () => [`ssh://${keys.user}@127.0.0.1:${sshd.port}${lb.masterSocket}`, "--ssh-identity", keys.key, "--ssh-known-hosts", knownHosts];
  const noAgent = { env: { SSH_AUTH_SOCK: "" } };
  /** Admin state of be/SERVER on worker PID, from `show servers state` (0 ready, 8 drain, 1 maint…). */
  const adminOn = async (pid: number, server: string) => {
    const reply = await lb.master(`@!${pid} show servers state be`);
    const row = reply.split("\n").find((l) => l.split(" ")[3] === server);
    assert.ok(row, reply);
    return Number(row.split(" ")[6]);
  };

  for (const [where, members] of [["locally", local], ["over SSH", overSsh]] as const) {
    it(`runs status, check, wait, drain --wait, ready --wait, weight and eval on a master socket ${where}`, async function () {
      const run = (args: string[]) => runCli([...args, ...members()], { ...noAgent, timeoutMs: 90_000 });
      const status = await run(["status", "--backend", "be"]);
      assert.equal(status.code, 0, show(status));
      assert.match(status.stdout, /s1/, show(status));
      const check = await run(["check", "--backend", "be"]);
      assert.match(check.stdout, /^HAPROXY-CLUSTER OK - be: 3\/3 serving on 1 member/, show(check));
      const [worker] = await lb.workers();
      const drain = await run(["drain", "--backend", "be", "--server", "s2", "--wait"]);
      assert.equal(drain.code, 0, show(drain));
      assert.equal(await adminOn(worker!, "s2"), 8);
      const wait = await run(["wait", "--backend", "be", "--threshold", "60", "--min-checks", "1", "--interval", "0.2", "--timeout", "30"]);
      assert.equal(wait.code, 0, show(wait));
      const ready = await run(["ready", "--backend", "be", "--server", "s2", "--wait", "--timeout", "60"]);
      assert.equal(ready.code, 0, show(ready));
      assert.equal(await adminOn(worker!, "s2"), 0);
      const weight = await run(["weight", "--backend", "be", "--server", "s3", "--weight", "5"]);
      assert.equal(weight.code, 0, show(weight));
      assert.match(await lb.master(`@1 get weight be/s3`), /^5 \(initial 1\)/);
      await lb.master("@1 set weight be/s3 1");
      const evaluated = await run(["eval", "return (await cluster.members[0].runtimeCommand('show proc')).includes('master')"]);
      assert.equal(evaluated.code, 0, show(evaluated));
    });
  }

  it("after a reload, shows the old worker, drains the new one, and drains and puts back once the old one left", async function () {
    // A request held through the frontend keeps the old worker alive after the reload.
    const held = new AbortController();
    const request = new Promise<void>((resolve) => {
      const req = http.get(`${lb.frontendUrl}/hold?ms=100000`, { agent: false, signal: held.signal }, (res) => res.resume());
      req.on("error", () => resolve());
      req.on("close", () => resolve());
    });
    await waitFor("the app to hold the request", async () => ((await Promise.all(apps.map((a) => a.state()))).some((s) => s.openRequests > 0) ? true : undefined));
    const [oldPid] = await lb.workers();
    const newPid = await lb.reload();
    try {
      assert.deepEqual(await lb.workers(), [newPid, oldPid]);
      const status = await runCli(["status", "--backend", "be", ...local()]);
      assert.equal(status.code, 0, show(status));
      assert.match(status.stdout, new RegExp(`old worker ${oldPid}`), show(status));

      // HAProxy refuses changes on an old worker whose proxies stopped ("Proxy is disabled."):
      // the drain reaches every worker that takes it.
      const drain = await runCli(["drain", "--backend", "be", "--server", "s1", ...overSsh()], noAgent);
      assert.equal(drain.code, 0, show(drain));
      assert.equal(await adminOn(newPid, "s1"), 8);
    } finally {
      held.abort();
      await request;
    }
    await waitFor(`the old worker ${oldPid} to leave`, async () => ((await lb.workers()).length === 1 ? true : undefined), { timeoutMs: 30_000 });
    const drained = await runCli(["drain", "--backend", "be", "--server", "s1", "--wait", "--timeout", "30", ...local()]);
    assert.equal(drained.code, 0, show(drained));
    const ready = await runCli(["ready", "--backend", "be", "--server", "s1", "--wait", "--timeout", "60", ...overSsh()], noAgent);
    assert.equal(ready.code, 0, show(ready));
    assert.equal(await adminOn(newPid, "s1"), 0);
  });
});
