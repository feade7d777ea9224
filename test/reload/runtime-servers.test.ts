// Reloads in the middle of deploys of servers added at run time, on real HAProxy: every
// release forgets such a server at a reload (docs/servers-at-run-time.md). While our
// process holds the deploy, the hold adds it again with the same address and checks and
// brings it back on fresh checks only; once we no longer run, the reload loses it.

import { strict as assert } from "node:assert";
import { Cluster } from "../../provider/cluster/cluster";
import { addServer, removeServer, setServerAddress } from "../../provider/cluster/server-lifecycle";
import { transitionsBetween } from "../../provider/cluster/transitions";
import { startAppServer, type AppServer } from "../support/app-server";
import { countingProxy } from "../support/counting-proxy";
import { waitFor } from "../support/deadline";
import { checkedUp, startHaproxy, type HaproxyInstance } from "../support/haproxy";
import { startMasterWorker } from "../support/haproxy-master";
import { memberSpec } from "../support/member-specs";

const BACKEND = "myapp";
/** The waits these tests reload in the middle of: polled often, with a deadline far beyond a reload. */
const WAITING = { wait: true, timeoutSeconds: 40, intervalSeconds: 0.3 };

describe("servers added at run time across a reload in the middle of the deploy", function () {
  this.timeout(90_000);
  let apps: AppServer[];
  let extra: AppServer[];
  let lbs: HaproxyInstance[];
  let cluster: Cluster;

  beforeEach(async function () {
    apps = await Promise.all([1, 2].map((i) => startAppServer({ name: `server${i}` })));
    extra = [];
    lbs = await Promise.all(
      ["lbra", "lbrb"].map((name) =>
        startHaproxy({ name, backends: [{ name: BACKEND, servers: apps.map((a) => ({ name: a.name, port: a.port })), check: { interMs: 200, rise: 3, fall: 2 } }] }),
      ),
    );
    await Promise.all(lbs.flatMap((lb) => apps.map((a) => lb.waitForRow(BACKEND, a.name, checkedUp, 20_000))));
    cluster = new Cluster(lbs.map((lb) => memberSpec(lb, "unix")));
  });
  afterEach(async function () {
    await cluster?.close();
    await Promise.all((lbs ?? []).map((lb) => lb.stop()));
    await Promise.all([...(apps ?? []), ...(extra ?? [])].map((a) => a.stop()));
  });

  async function app(name: string, ready: boolean): Promise<AppServer> {
    const started = await startAppServer({ name });
    extra.push(started);
    await started.setReady(ready);
    return started;
  }

  /**
   * Every status `server` shows on `lb` until `stop` resolves ("absent" while it has none).
   * `stop` reads once more after the loop ends: the status the caller's own read just saw
   * (say UP, which ended its wait) may have come after the loop's last read.
   */
  function watchStatuses(lb: HaproxyInstance, server: string): { stop: () => Promise<string[]> } {
    const seen: string[] = [];
    let on = true;
    const look = async () => {
      const rows = await lb.showStat().catch(() => undefined);
      const row = rows?.find((r) => r.pxname === BACKEND && r.svname === server);
      const status = row ? row.status : rows ? "absent" : undefined;
      if (status && seen[seen.length - 1] !== status) seen.push(status);
    };
    const loop = (async () => {
      while (on) {
        await look();
        await new Promise((r) => setTimeout(r, 30));
      }
    })();
    return { stop: async () => ((on = false), await loop, await look(), seen) };
  }

  /**
   * Reloads `lb` (called from the first progress of a wait, its app still failing
   * checks); once the hold has added `server` again there, lets `app` pass its checks.
   */
  async function reloadThenPass(lb: HaproxyInstance, server: string, app: AppServer, reloaded?: () => void): Promise<void> {
    await lb.reload();
    reloaded?.();
    const present = async () => ((await lb.runtime(`show servers state ${BACKEND}`)).split("\n").some((l) => l.split(" ")[3] === server) ? true : undefined);
    await waitFor(`the hold to add ${server} again on ${lb.name}`, present, { timeoutMs: 20_000 });
    await app.setReady(true);
  }

  it("add-server --wait: a reload mid-wait forgets the server, the hold adds it again with its address and checks, and it serves on fresh checks", async function () {
    const fresh = await app("new1", false);
    const [lb1] = lbs as [HaproxyInstance, HaproxyInstance];
    const warnings: string[] = [];
    let repaired: Promise<void> | undefined;
    let watch: ReturnType<typeof watchStatuses> | undefined;
    const report = await addServer(cluster, BACKEND, "new1", `127.0.0.1:${fresh.port}`, {
      ...WAITING,
      checkIntervalMs: 200,
      onWarning: (m) => warnings.push(m),
      // The first progress of the wait (the app still failing its checks): lb1 reloads,
      // forgets new1; once the hold has added it again, the app starts passing.
      onProgress: () => {
        repaired ??= reloadThenPass(lb1, "new1", fresh, () => (watch = watchStatuses(lb1, "new1")));
      },
    });
    await repaired;
    assert.equal(report.ready.waited, true);
    const seen = await watch!.stop();
    assert.deepEqual(
      warnings.map((w) => w.replace(/ \(PID \d+ -> \d+\)/, "")),
      [
        `${cluster.memberNames[0]} reloaded: server states from its configuration; ${BACKEND}/new1 was coming back on fresh checks there: ${BACKEND}/new1 was gone (added at run time), added again at 127.0.0.1:${fresh.port} (${report.settings}); forced its health down again so only fresh checks count.`,
      ],
    );
    assert.equal(report.settings, "check inter 200 rise 3 fall 2 weight 1");
    for (const lb of lbs) {
      const row = await lb.stat(BACKEND, "new1");
      assert.equal(row.status, "UP");
      assert.equal(row.addr, `127.0.0.1:${fresh.port}`);
      assert.deepEqual([row.check_rise, row.check_fall, row.weight], ["3", "2", "1"]);
    }
    // Added again in maintenance, then up only on checks made once the app passed: never UP before.
    const beforeUp = seen.slice(0, seen.indexOf("UP"));
    assert.ok(!beforeUp.some((s) => s.startsWith("UP")), `new1 on lb1 after the reload: ${seen.join(" -> ")}`);
    assert.ok(seen.includes("UP") && seen.indexOf("UP") > 0, `new1 on lb1 after the reload: ${seen.join(" -> ")}`);
  });

  it("add-server --wait: a repair the reloaded member does not answer is tried again at the next read", async function () {
    const fresh = await app("new4", false);
    const [lb1, lb2] = lbs as [HaproxyInstance, HaproxyInstance];
    const proxy = await countingProxy(lb1.adminSocket);
    const viaProxy = new Cluster([proxy.spec, memberSpec(lb2, "unix")]);
    try {
      const warnings: string[] = [];
      let repaired: Promise<void> | undefined;
      const report = await addServer(viaProxy, BACKEND, "new4", `127.0.0.1:${fresh.port}`, {
        ...WAITING,
        checkIntervalMs: 200,
        onWarning: (m) => warnings.push(m),
        onProgress: () => {
          // The hold's first `add server` after the reload gets no answer.
          repaired ??= (proxy.dropNext(/^add server/), reloadThenPass(lb1, "new4", fresh));
        },
      });
      await repaired;
      assert.equal(report.ready.waited, true);
      assert.equal(warnings.length, 2, warnings.join("\n"));
      assert.match(warnings[0]!, /myapp\/new4 could not be coming back on fresh checks again there yet \(tried again at the next read\): /);
      assert.match(warnings[1]!, /myapp\/new4 was gone \(added at run time\), added again at /);
      assert.equal((await lb1.stat(BACKEND, "new4")).status, "UP");
    } finally {
      await viaProxy.close();
      await proxy.close();
    }
  });

  it("add-server --wait through a master socket: a reload by the master CLI starts a worker without the server; the hold adds it again there through the master, and it serves on fresh checks", async function () {
    const mw = await startMasterWorker({ name: "lbrm", backends: [{ name: BACKEND, servers: apps.map((a) => ({ name: a.name, port: a.port })), check: { interMs: 200, rise: 3, fall: 2 } }] });
    const viaMaster = new Cluster([`unix:${mw.masterSocket}`]);
    try {
      await Promise.all(apps.map((a) => mw.waitForRow(BACKEND, a.name, checkedUp, 20_000)));
      const fresh = await app("new5", false);
      const warnings: string[] = [];
      let repaired: Promise<void> | undefined;
      let workerBefore = 0;
      const report = await addServer(viaMaster, BACKEND, "new5", `127.0.0.1:${fresh.port}`, {
        ...WAITING,
        checkIntervalMs: 200,
        onWarning: (m) => warnings.push(m),
        onProgress: () => {
          repaired ??= (async () => {
            workerBefore = mw.pid;
            await mw.reload("master CLI");
            // The new worker's own socket: the server is there again only once the hold added it.
            const present = async () => ((await mw.runtime(`show servers state ${BACKEND}`)).split("\n").some((l) => l.split(" ")[3] === "new5") ? true : undefined);
            await waitFor("the hold to add new5 again in the new worker", present, { timeoutMs: 20_000 });
            await fresh.setReady(true);
          })();
        },
      });
      await repaired;
      assert.notEqual(mw.pid, workerBefore, "a new worker answers");
      assert.equal(report.ready.waited, true);
      assert.ok(warnings.some((w) => w.includes(`${BACKEND}/new5 was gone (added at run time), added again at 127.0.0.1:${fresh.port}`)), warnings.join("\n"));
      const row = await mw.stat(BACKEND, "new5");
      assert.equal(row.status, "UP");
      assert.equal(row.addr, `127.0.0.1:${fresh.port}`);
      // Removed through the master too: the probe, drain, maintenance and delete reach the worker.
      const removed = await removeServer(viaMaster, BACKEND, "new5", {});
      assert.deepEqual(removed.removed, viaMaster.memberNames);
      assert.ok(!(await mw.runtime(`show servers state ${BACKEND}`)).split("\n").some((l) => l.split(" ")[3] === "new5"), "no trace of new5 in the worker");
    } finally {
      await viaMaster.close();
      await mw.stop();
    }
  });

  it("set-address --wait: a reload mid-wait forgets the server, the hold adds it again at the new address", async function () {
    const first = await app("new2", true);
    await addServer(cluster, BACKEND, "new2", `127.0.0.1:${first.port}`, { wait: true, timeoutSeconds: 30, checkIntervalMs: 200 });
    const second = await app("new2b", false);
    const [, lb2] = lbs as [HaproxyInstance, HaproxyInstance];
    const warnings: string[] = [];
    let repaired: Promise<void> | undefined;
    const report = await setServerAddress(cluster, BACKEND, "new2", `127.0.0.1:${second.port}`, {
      ...WAITING,
      onWarning: (m) => warnings.push(m),
      onProgress: () => {
        repaired ??= reloadThenPass(lb2, "new2", second);
      },
    });
    await repaired;
    assert.equal(report.ready.waited, true);
    assert.equal(warnings.length, 1, warnings.join("\n"));
    assert.ok(
      warnings[0]!.includes(`${BACKEND}/new2 was gone (added at run time), added again at 127.0.0.1:${second.port} (check inter 2000 rise 3 fall 2 weight 1)`),
      warnings[0],
    );
    for (const lb of lbs) {
      const row = await lb.stat(BACKEND, "new2");
      assert.equal(row.status, "UP");
      assert.equal(row.addr, `127.0.0.1:${second.port}`);
    }
  });

  it("once no process of ours holds it, a reload loses the server on that member (as the docs say)", async function () {
    const fresh = await app("new3", true);
    await addServer(cluster, BACKEND, "new3", `127.0.0.1:${fresh.port}`, { wait: true, timeoutSeconds: 30, checkIntervalMs: 200 });
    const before = await cluster.snapshot({ backend: BACKEND });
    await lbs[0]!.reload();
    const after = await cluster.snapshot({ backend: BACKEND });
    assert.deepEqual(
      [...after.snapshots.values()].map((s) => s.backend(BACKEND).servers.has("new3")),
      [false, true],
    );
    // What watch prints, and what status flags as a disagreement.
    assert.ok(
      transitionsBetween(before, after).some((t) => t.message === `${cluster.memberNames[0]} sees ${BACKEND}/new3 go UP -> absent`),
      transitionsBetween(before, after).map((t) => t.message).join("\n"),
    );
  });

  it("the set-up that survives reloads: a server-template slot declared by name with init-addr last,IP, filled by set-address, comes back at its address after a reload with a saved state", async function () {
    const slotted = await startHaproxy({
      name: "lbrs",
      serverStateFile: true,
      backends: [
        {
          name: BACKEND,
          servers: apps.map((a) => ({ name: a.name, port: a.port })),
          check: { interMs: 200, rise: 2, fall: 2 },
          extraLines: ["server-template slot 1-2 slot.invalid:1 check init-addr last,127.0.0.9"],
        },
      ],
    });
    const slotCluster = new Cluster([memberSpec(slotted, "unix")]);
    try {
      const fresh = await app("slotapp", true);
      const report = await setServerAddress(slotCluster, BACKEND, "slot1", `127.0.0.1:${fresh.port}`, { wait: true, timeoutSeconds: 30 });
      assert.equal(report.ready.waited, true);
      // No process of ours holds it now: the state file alone brings it back.
      await slotted.reload({ saveState: true });
      const row = await slotted.waitForRow(BACKEND, "slot1", (r) => r.status === "UP", 10_000);
      assert.equal(row.addr, `127.0.0.1:${fresh.port}`);
      assert.equal((await slotted.stat(BACKEND, "slot2")).addr, "127.0.0.9:1");
    } finally {
      await slotCluster.close();
      await slotted.stop();
    }
  });
});
