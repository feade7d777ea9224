// Reads happen once: the Runtime API connections each command opens to a member, counted
// by a proxy in front of the member's socket (one command per connection), on a worker
// socket and on the master CLI. A command that starts asking twice what it already read
// fails here, above its budget.
import assert from "node:assert/strict";
import { startAppServer, type AppServer } from "../support/app-server";
import { waitFor } from "../support/deadline";
import { startMasterWorker, type MasterWorkerHaproxy } from "../support/haproxy-master";
import { countingProxy, type CountingProxy } from "../support/counting-proxy";
import { checkedUp, parseStatCsv } from "../support/stat-csv";
import { runCli, show } from "./helpers";

/** At most this many connections to the member, per kind of socket. */
interface Budget {
  worker: number;
  master: number;
}

const BACKEND = "be";
const SERVER = "s2";
const target = ["--backend", BACKEND, "--server", SERVER];

// What each command must do at least: drain = read (names, guard) + write + read back;
// --wait adds the poll that sees the new state; ready --wait adds the health step and the
// polls until fresh checks pass, so it is bounded by the checks' pace, not by us.
// On a master socket, a member whose role is not declared costs one read that the master
// refuses ("Unknown command") and one `show proc`, which also lists the workers to write to.
const BUDGETS: Array<{ name: string; args: string[]; undo?: string[]; budget: Budget }> = [
  // show servers state; show stat
  { name: "check", args: ["check", "--backend", BACKEND], budget: { worker: 1, master: 3 } },
  // show stat (names, guard) | set server | show info; show servers state; show stat (read back)
  { name: "drain", args: ["drain", ...target], undo: ["ready", ...target, "--wait"], budget: { worker: 3, master: 5 } },
  // the read back shows the new state on every member: no further poll
  { name: "drain --wait", args: ["drain", ...target, "--wait"], undo: ["ready", ...target, "--wait"], budget: { worker: 3, master: 5 } },
  // no session open: the sessions wait's first poll is the read back, and it passes
  { name: "drain --wait --sessions", args: ["drain", ...target, "--wait", "--sessions"], undo: ["ready", ...target, "--wait"], budget: { worker: 3, master: 5 } },
];

/** ready --wait besides its polls: read | health down | ready (on a master: + the refused read and show proc). */
const READY_FIXED: Budget = { worker: 3, master: 5 };
/** As drain --wait. */
const SERVER_DRAIN_BUDGET: Budget = { worker: 3, master: 5 };

const showProcs = (commands: string[]) => commands.filter((c) => /(^|@[0-9!]* ?)show proc/.test(c)).length;

describe("connections per command (reads happen once)", function () {
  this.timeout(120_000);
  let apps: AppServer[];
  let lb: MasterWorkerHaproxy;
  let worker: CountingProxy;
  let master: CountingProxy;

  before(async function () {
    apps = await Promise.all(["s1", "s2", "s3"].map((name) => startAppServer({ name })));
    lb = await startMasterWorker({ name: "budget", backends: [{ name: BACKEND, servers: apps.map((a) => ({ name: a.name, port: a.port })) }] });
    worker = await countingProxy(lb.adminSocket);
    master = await countingProxy(lb.masterSocket);
  });
  after(async function () {
    await Promise.all([worker?.close(), master?.close(), lb?.stop(), ...(apps ?? []).map((a) => a.stop())]);
  });

  const serving = async () => parseStatCsv(await lb.runtime("show stat")).filter((row) => row.pxname === BACKEND && checkedUp(row)).length;

  for (const socket of ["worker", "master"] as const) {
    it(`ready --wait on a ${socket} socket reads each poll in one connection and asks show proc at most once`, async function () {
      await waitFor(`all three servers serving`, async () => (await serving()) === 3, { timeoutMs: 30_000 });
      await lb.runtime(`set server ${BACKEND}/${SERVER} state drain`);
      const proxy = socket === "worker" ? worker : master;
      proxy.reset();
      const r = await runCli(["ready", ...target, "--wait", "--quiet", proxy.spec], { timeoutMs: 60_000 });
      assert.ok(r.code === 0, show(r));
      const commands = proxy.commands();
      // Each poll is one folded read; everything else is the fixed part of the command.
      const polls = commands.filter((c) => /show info; (@1 )?show servers state/.test(c)).length;
      assert.ok(polls >= 1, commands.join(" | "));
      assert.ok(commands.length - polls <= READY_FIXED[socket], `ready --wait on the ${socket} socket: ${commands.length - polls} connections besides its polls > ${READY_FIXED[socket]}: ${commands.join(" | ")}`);
      assert.ok(showProcs(commands) <= 1, commands.join(" | "));
    });

    it(`ServerDrain create on a ${socket} socket opens at most ${SERVER_DRAIN_BUDGET[socket]} connections and asks show proc at most once`, async function () {
      await waitFor(`all three servers serving`, async () => (await serving()) === 3, { timeoutMs: 30_000 });
      const proxy = socket === "worker" ? worker : master;
      proxy.reset();
      // The provider's create, in this process, exactly as the Pulumi engine calls it.
      const { serverDrain } = await import("../../provider/pulumi/impl");
      await serverDrain.create({ members: [proxy.spec], backend: BACKEND, server: SERVER });
      const commands = proxy.commands();
      assert.ok(commands.length <= SERVER_DRAIN_BUDGET[socket], `ServerDrain create on the ${socket} socket: ${commands.length} connections > ${SERVER_DRAIN_BUDGET[socket]}: ${commands.join(" | ")}`);
      assert.ok(showProcs(commands) <= 1, commands.join(" | "));
      await lb.runtime(`set server ${BACKEND}/${SERVER} state ready`);
    });
  }

  it("ServerDrain create with masterSocket declared skips the read a master refuses: 4 connections", async function () {
    await waitFor(`all three servers serving`, async () => (await serving()) === 3, { timeoutMs: 30_000 });
    master.reset();
    const { serverDrain } = await import("../../provider/pulumi/impl");
    const { inputs, failures } = serverDrain.check({}, { members: [master.spec], backend: BACKEND, server: SERVER, masterSocket: true });
    assert.deepEqual(failures, []);
    await serverDrain.create(inputs);
    const commands = master.commands();
    assert.ok(commands.length <= 4 && !commands.some((c) => /^show stat/.test(c)), commands.join(" | "));
    assert.equal(showProcs(commands), 1, commands.join(" | "));
    await lb.runtime(`set server ${BACKEND}/${SERVER} state ready`);
  });

  for (const { name, args, undo, budget } of BUDGETS) {
    for (const socket of ["worker", "master"] as const) {
      it(`${name} on a ${socket} socket opens at most ${budget[socket]} connections and asks show proc at most once`, async function () {
        await waitFor(`all three servers serving`, async () => (await serving()) === 3, { timeoutMs: 30_000 });
        const proxy = socket === "worker" ? worker : master;
        proxy.reset();
        const r = await runCli([...args, "--quiet", proxy.spec], { timeoutMs: 60_000 });
        assert.ok(r.code === 0, show(r));
        const commands = proxy.commands();
        const showProc = showProcs(commands);
        assert.ok(proxy.connections() <= budget[socket], `${name} on the ${socket} socket: ${proxy.connections()} connections > ${budget[socket]}: ${commands.join(" | ")}`);
        assert.ok(showProc <= 1, `${name}: show proc asked ${showProc} times: ${commands.join(" | ")}`);
        if (undo) {
          const back = await runCli([...undo, "--quiet", `unix:${lb.adminSocket}`], { timeoutMs: 60_000 });
          assert.equal(back.code, 0, show(back));
        }
      });
    }
  }
});
