// The CLI against HAProxy's master CLI (master-worker mode, `-S`), locally and over SSH:
// detected from its answers, reads from the current worker, changes to every live
// worker, old workers (alive after a reload while they hold a connection) included.
import assert from "node:assert/strict";
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { startAppServer, type AppServer } from "../support/app-server";
import { waitFor } from "../support/deadline";
import { checkedUp, startHaproxy } from "../support/haproxy";
import { startMasterWorker, type MasterWorkerHaproxy } from "../support/haproxy-master";
import { makeSshKeys, startSshd, type Sshd, type SshKeys } from "../support/sshd";
import { runCli, show, startCli } from "./helpers";

describe("members on HAProxy's master socket", function () {
  this.timeout(120_000);
  let apps: AppServer[];
  let lb: MasterWorkerHaproxy;
  let keys: SshKeys;
  let sshd: Sshd;
  let knownHosts: string;

  before(async function () {
    apps = await Promise.all(["s1", "s2", "s3"].map((name) => startAppServer({ name })));
    lb = await startMasterWorker({ name: "mw", extraDefaults: ["option abortonclose"], backends: [{ name: "be", servers: apps.map((a) => ({ name: a.name, port: a.port })) }] });
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
  const adminOn = async (pid: number, server: string, on: MasterWorkerHaproxy = lb) => {
    const reply = await on.master(`@!${pid} show servers state be`);
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

  it("takes --master-socket and --no-master-socket as an override, and names a wrong one in one sentence with exit 3", async function () {
    const master = `unix:${lb.masterSocket}`;
    const worker = `unix:${lb.adminSocket}`;
    for (const [flag, member] of [["--master-socket", master], ["--no-master-socket", worker]]) {
      const right = await runCli(["status", "--backend", "be", flag!, member!]);
      assert.equal(right.code, 0, show(right));
      assert.match(right.stdout, /^s1 /m, show(right));
    }
    const cases = [
      [["--master-socket", worker], `${worker}: this is a worker socket, not HAProxy's master CLI, but its options say masterSocket: true (--master-socket); drop that option to let it be detected, or point the member at the other socket.\n`],
      [["--no-master-socket", master], `${master}: this is HAProxy's master CLI (-S), not a worker socket, but its options say masterSocket: false (--no-master-socket); drop that option to let it be detected, or point the member at the other socket.\n`],
      [["--master-socket", "--no-master-socket", master], "give --master-socket or --no-master-socket, not both.\n"],
    ] as const;
    for (const [args, said] of cases) {
      const wrong = await runCli(["status", "--backend", "be", ...args]);
      assert.equal(wrong.code, 3, show(wrong));
      assert.equal(wrong.stderr, said, show(wrong));
    }
  });

  it("after a reload with an old worker alive: drains the new worker, names the old one that refused and why, waits for its session, and puts the server back", async function () {
    // A request held through the frontend keeps the old worker alive after the reload;
    // `option abortonclose` (in the rig's config) ends its session when the client goes.
    const held = new AbortController();
    const request = new Promise<void>((resolve) => {
      const req = http.get(`${lb.frontendUrl}/hold?ms=100000`, { agent: false, signal: held.signal }, (res) => res.resume());
      req.on("error", () => resolve());
      req.on("close", () => resolve());
    });
    const holder = await waitFor("an app to hold the request", async () => {
      const states = await Promise.all(apps.map((a) => a.state()));
      return apps.find((_, i) => states[i]!.openRequests > 0)?.name;
    });
    const [oldPid] = await lb.workers();
    const newPid = await lb.reload();
    try {
      assert.deepEqual(await lb.workers(), [newPid, oldPid]);
      const status = await runCli(["status", "--backend", "be", ...local()]);
      assert.equal(status.code, 0, show(status));
      assert.match(status.stdout, new RegExp(`old worker ${oldPid}`), show(status));

      // What this HAProxy (2.6, 3.0, 3.2 and 3.4 alike) does with a change on an old worker.
      assert.equal(await lb.master(`@!${oldPid} set server be/${holder} state drain`), "Proxy is disabled.\n\n");
      const drain = await runCli(["drain", "--backend", "be", "--server", holder, ...overSsh()], noAgent);
      assert.equal(drain.code, 0, show(drain));
      assert.equal(await adminOn(newPid, holder), 8);
      assert.equal(await adminOn(oldPid!, holder), 0);
      const refused = `old worker ${oldPid} refused drain of be/${holder}, which stays UP there: HAProxy takes no change on a worker that stopped its proxies at a reload ("Proxy is disabled."); it takes no new connections or requests, and leaves once the 1 session it holds on be/${holder} and its other connections end.`;
      assert.ok(drain.stderr.includes(refused), show(drain));

      // drain --wait --sessions waits for the session the old worker holds, and ends with it.
      const sessions = startCli(["drain", "--backend", "be", "--server", holder, "--wait", "--sessions", "--sessions-timeout", "60", ...local()], { timeoutMs: 90_000 });
      await sessions.stderrMatch(new RegExp(`old worker ${oldPid} .*not yet: be/${holder} has 1 sessions`), 30_000);
      held.abort();
      const drained = await sessions.result;
      assert.equal(drained.code, 0, show(drained));
      assert.match(drained.stderr, new RegExp(`be/${holder}: no session and no queued request left on any member`), show(drained));
    } finally {
      held.abort();
      await request;
    }
    const ready = await runCli(["ready", "--backend", "be", "--server", holder, "--wait", "--timeout", "60", ...overSsh()], noAgent);
    assert.equal(ready.code, 0, show(ready));
    assert.equal(await adminOn(newPid, holder), 0);
  });

  it("when a member's master and workers die during drain --sessions: says the servers stay drained where read and their state is unknown on that member, offers no --shutdown-sessions, exit 3", async function () {
    const dies = await startMasterWorker({ name: "dies", extraDefaults: ["option abortonclose"], backends: [{ name: "be", servers: apps.map((a) => ({ name: a.name, port: a.port })) }] });
    const held = new AbortController();
    let holder: string | undefined;
    try {
      // The guard counts serving servers: a fresh worker's must have passed their first checks (on both members).
      await Promise.all(apps.flatMap((a) => [dies.waitForRow("be", a.name, checkedUp, 20_000), lb.waitForRow("be", a.name, checkedUp, 20_000)]));
      const before = await Promise.all(apps.map((a) => a.state()));
      http.get(`${dies.frontendUrl}/hold?ms=100000`, { agent: false, signal: held.signal }, (res) => res.resume()).on("error", () => undefined);
      holder = await waitFor("an app to hold the request", async () => {
        const now = await Promise.all(apps.map((a) => a.state()));
        return apps.find((_, i) => now[i]!.openRequests > before[i]!.openRequests)?.name;
      });
      const survivor = `unix:${lb.masterSocket}`;
      const dead = `unix:${dies.masterSocket}`;
      const drain = startCli(["drain", "--backend", "be", "--server", holder, "--sessions", "--sessions-timeout", "8", survivor, dead], { timeoutMs: 90_000 });
      await drain.stderrMatch(new RegExp(`not yet: be/${holder} has 1 sessions`), 30_000);
      const workers = await dies.workers();
      for (const pid of [dies.masterPid, ...workers]) process.kill(pid, "SIGKILL");
      const r = await drain.result;
      assert.equal(r.code, 3, show(r));
      const last = r.stderr.trimEnd().split("\n").at(-1)!;
      assert.match(last, new RegExp(`^gave up waiting for be/${holder} to have no sessions after 8 s; ${dead.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}: cannot be read \\(`), show(r));
      assert.ok(
        last.endsWith(
          `The servers stay drained on ${survivor}; put them back there with haproxy-cluster ready --backend be --server ${holder} ${survivor}. Their state on ${dead} is unknown: it could not be read, and an HAProxy restarted there starts from its configuration; check with haproxy-cluster status --backend be ${dead} once it answers.`,
        ),
        show(r),
      );
      assert.doesNotMatch(r.stderr, /shutdown-sessions|on every member/, show(r));
      assert.equal(await adminOn(lb.pid, holder), 8, "drained on the member that stayed");
    } finally {
      held.abort();
      await dies.stop();
      if (holder) await lb.master(`@1 set server be/${holder} state ready`);
    }
  });

  it("keeps check's perfdata labels and member count to the members given while an old worker is alive, and labels it from its member in status", async function () {
    const other = await startHaproxy({ name: "other", backends: [{ name: "be", servers: apps.map((a) => ({ name: a.name, port: a.port })) }] });
    const held = new AbortController();
    try {
      await Promise.all(apps.map((a) => other.waitForRow("be", a.name, checkedUp, 20_000)));
      const members = [`unix:${lb.masterSocket}`, `unix:${other.adminSocket}`];
      const before = await Promise.all(apps.map((a) => a.state()));
      http.get(`${lb.frontendUrl}/hold?ms=100000`, { agent: false, signal: held.signal }, (res) => res.resume()).on("error", () => undefined);
      await waitFor("an app to hold the request", async () => {
        const now = await Promise.all(apps.map((a) => a.state()));
        return now.some((s, i) => s.openRequests > before[i]!.openRequests) ? true : undefined;
      });
      const [oldPid] = await lb.workers();
      await lb.reload();
      assert.ok((await lb.workers()).includes(oldPid!), "the old worker stays while it holds the request");
      // The new worker's servers start on their first checks.
      await Promise.all(apps.map((a) => lb.waitForRow("be", a.name, checkedUp, 20_000)));

      const check = await runCli(["check", "--backend", "be", "--verbose", ...members]);
      assert.equal(check.code, 0, show(check));
      const [line, legend] = check.stdout.split("\n");
      assert.match(line!, /^HAPROXY-CLUSTER OK - be: 3\/3 serving on 2 members \| /, show(check));
      const labels = [...line!.matchAll(/'(\w+?)_be_serving'/g)].map((m) => m[1]);
      assert.deepEqual(labels, ["m1", "m2"], show(check));
      assert.equal(legend, `m1=${members[0]} m2=${members[1]}`);

      const status = await runCli(["status", "--backend", "be", ...members]);
      assert.equal(status.code, 0, show(status));
      assert.deepEqual(status.stdout.split("\n").slice(0, 3), [`m1       ${members[0]}`, `m1_old1  ${members[0]} old worker ${oldPid}`, `m2       ${members[1]}`], show(status));
      assert.match(status.stdout, /^be +m1 +m1_old1 +m2$/m, show(status));
    } finally {
      held.abort();
      await other.stop();
    }
  });

  it("says plainly, with exit 3 and nothing changed, when the master has no current worker left", async function () {
    // Production's `master-worker no-exit-on-failure`: a current worker killed while an old
    // one still finishes a held request. 3.1+ keeps the master, whose `@1` then reaches the
    // old worker (proxies stopped: nothing takes new connections); 2.6 and 3.0 end the
    // master with its last current worker, leaving a socket nobody answers.
    const gone = await startMasterWorker({ name: "gone", extraGlobal: ["master-worker no-exit-on-failure"], extraDefaults: ["option abortonclose"], backends: [{ name: "be", servers: apps.map((a) => ({ name: a.name, port: a.port })) }] });
    const held = new AbortController();
    try {
      const [major, minor] = /^Version: (\d+)\.(\d+)/m.exec(await gone.runtime("show info"))!.slice(1).map(Number) as [number, number];
      const masterStays = major > 3 || (major === 3 && minor >= 1);
      const before = await Promise.all(apps.map((a) => a.state()));
      http.get(`${gone.frontendUrl}/hold?ms=100000`, { agent: false, signal: held.signal }, (res) => res.resume()).on("error", () => undefined);
      await waitFor("an app to hold the request", async () => {
        const now = await Promise.all(apps.map((a) => a.state()));
        return now.some((s, i) => s.openRequests > before[i]!.openRequests) ? true : undefined;
      });
      const [oldPid] = await gone.workers();
      process.kill(await gone.reload(), "SIGKILL");
      if (masterStays) await waitFor("the master to list the old worker only", async () => (/^# workers\n# old workers\n/m.test(await gone.master("show proc")) ? true : undefined));
      else await waitFor("the master to exit with its last current worker", () => (gone.masterExited() ? true : undefined));

      const member = `unix:${gone.masterSocket}`;
      // One sentence naming the member; drain's capacity guard refuses on it (nothing read, nothing changed).
      const escaped = member.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
      const said = masterStays
        ? `${escaped}: the master lists no current worker \\(only old worker ${oldPid}, finishing its connections after a reload\\), so this HAProxy takes no new connections; restart HAProxy \\(systemctl restart haproxy\\)`
        : `${escaped}: connection refused; is HAProxy running and is its \`stats socket\` at this address`;
      const end = masterStays ? "\\." : "\\?";
      const status = await runCli(["status", "--backend", "be", member]);
      assert.equal(status.code, 3, show(status));
      assert.match(status.stderr, new RegExp(`^${said}${end}\n$`), show(status));
      const drain = await runCli(["drain", "--backend", "be", "--server", "s1", member]);
      assert.equal(drain.code, 3, show(drain));
      assert.match(drain.stderr, new RegExp(`^refusing to take be/s1 out: cannot check capacity on ${escaped} \\(${said}(${end})?\\); fix the member`), show(drain));
      // Nothing changed: the old worker still has s1 ready.
      if (masterStays) assert.equal(await adminOn(oldPid!, "s1", gone), 0);
    } finally {
      held.abort();
      await gone.stop();
    }
  });
});
