// Reloads in the middle of what this project holds, on real HAProxy, without a
// server-state file (the worst case, every runtime change undone), each of the two ways
// production reloads: gracefully (a new process with -sf, seen through the worker's admin
// socket) and through the master CLI's `reload` (master-worker mode, seen through the
// master socket). Each reload is triggered from inside the wait it tests, so it lands mid-wait.

import { strict as assert } from "node:assert";
import { Cluster, rollingRestartCheck, type WaitProgress } from "../../provider/cluster/cluster";
import { applyServerAction, waitForSessions } from "../../provider/cluster/actions";
import { transitionsBetween, type Transition } from "../../provider/cluster/transitions";
import { counterGrowth, reloadBetween } from "../../provider/model/reload";
import { startAppServer, type AppServer } from "../support/app-server";
import { pidAlive } from "../support/child";
import { waitFor } from "../support/deadline";
import { checkedUp, startHaproxy, type HaproxyOptions, type StatWatch } from "../support/haproxy";
import { startMasterWorker } from "../support/haproxy-master";
import { memberSpec } from "../support/member-specs";

const BACKEND = "myapp";

/** What these tests need of a rig HAProxy, whichever way it reloads. */
interface ReloadingHaproxy extends StatWatch {
  readonly frontendUrl: string;
  /** The process (or current worker) now answering. */
  readonly pid: number;
  /** Resolves with the new PID once it answers. */
  reload(): Promise<number>;
  stop(): Promise<void>;
}

/**
 * The two ways in which production reloads HAProxy, each with its members: the same
 * HAProxy reached through the Runtime API (which tells the process by `show info`) and
 * through the stats page (by its header).
 */
const RELOAD_WAYS: ReadonlyArray<{ way: string; rates: boolean; start(options: HaproxyOptions): Promise<{ lb: ReloadingHaproxy; members: string[] }> }> = [
  {
    way: "gracefully (-sf)",
    rates: true,
    async start(options) {
      const lb = await startHaproxy(options);
      return { lb, members: [memberSpec(lb, "unix"), memberSpec(lb, "http")] };
    },
  },
  {
    way: "through the master CLI's reload",
    rates: false,
    async start(options) {
      const lb = await startMasterWorker(options);
      return { lb, members: [`unix:${lb.masterSocket}`, memberSpec(lb, "http")] };
    },
  },
];

for (const { way, rates, start } of RELOAD_WAYS) describe(`reloads in the middle of a deploy, ${way}`, function () {
  this.timeout(90_000);
  let apps: AppServer[];
  let lb: ReloadingHaproxy;
  let cluster: Cluster;

  beforeEach(async function () {
    apps = await Promise.all([1, 2, 3].map((i) => startAppServer({ name: `server${i}` })));
    const started = await start({
      name: "lbr",
      backends: [{ name: BACKEND, servers: apps.map((a) => ({ name: a.name, port: a.port })), check: { interMs: 300, rise: 3, fall: 2 } }],
    });
    lb = started.lb;
    await Promise.all(apps.map((a) => lb.waitForRow(BACKEND, a.name, checkedUp, 20_000)));
    cluster = new Cluster(started.members);
  });
  afterEach(async function () {
    await cluster?.close();
    await lb?.stop();
    await Promise.all((apps ?? []).map((a) => a.stop()));
  });

  /** Calls `reload` once, from the first progress report of a wait, and keeps its promise. */
  function reloadOnFirstProgress(): { onProgress: (p: WaitProgress) => void; reloaded: () => Promise<number> } {
    let reloading: Promise<number> | undefined;
    return {
      onProgress: () => void (reloading ??= lb.reload()),
      reloaded: () => reloading ?? Promise.reject(new Error("the wait never reported progress, so no reload happened")),
    };
  }

  it("knows which process answered each read, and reports a reload on every way in", async function () {
    const before = await cluster.snapshot({ backend: BACKEND });
    for (const snap of before.snapshots.values()) assert.equal(snap.process?.pid, lb.pid, `${snap.member} names the answering process`);
    const oldPid = lb.pid;
    const newPid = await lb.reload();
    // Until it leaves, the old process may still answer a request on a kept-alive stats connection.
    await waitFor(`the old process ${oldPid} to leave`, () => (pidAlive(oldPid) ? undefined : true));
    const after = await cluster.snapshot({ backend: BACKEND });
    const reloads = transitionsBetween(before, after).filter((t) => t.reload);
    assert.deepEqual(
      reloads.map((t) => t.message),
      cluster.memberNames.map((m) => `${m} reloaded: server states from its configuration (PID ${oldPid} -> ${newPid})`),
    );
    for (const snap of after.snapshots.values()) assert.equal(snap.process?.pid, newPid);
  });

  it("drains again, at the next poll, a server that a reload put back during drain --wait --sessions", async function () {
    const held = fetch(`${lb.frontendUrl}/hold?ms=8000`, { signal: AbortSignal.timeout(30_000) }).then((r) => r.text());
    const holder = await waitFor("an app to hold the request", async () => {
      const states = await Promise.all(apps.map((a) => a.state()));
      return apps.find((_, i) => states[i]!.openRequests >= 1);
    });
    const warnings: string[] = [];
    const report = await applyServerAction(cluster, BACKEND, holder.name, "drain", { wait: true, onWarning: (m) => warnings.push(m) });
    const trigger = reloadOnFirstProgress();
    // The held session lives on in the old process; the new one starts from the
    // configuration (server ready) and must be drained again before the wait may end.
    const result = await waitForSessions(cluster, BACKEND, holder.name, { hold: report.hold, intervalSeconds: 0.3, timeoutSeconds: 30, onProgress: trigger.onProgress });
    await trigger.reloaded();
    assert.equal(result.drained, true);
    assert.deepEqual(
      // How the reload was told (a new PID, or counters back at zero when the stats page's
      // keep-alive connection closed with the old process) is in parentheses.
      warnings.map((w) => w.replace(/ \((PID \d+ -> \d+|its counters went back to zero)\)/, "")),
      cluster.memberNames.map((m) => `${m} reloaded: server states from its configuration; ${BACKEND}/${holder.name} was held drained there: drained again.`),
    );
    assert.match((await lb.stat(BACKEND, holder.name)).status, /^DRAIN/, "drained in the new process");
    await held;
  });

  it("forces health down again after a reload during ready --wait, so only fresh checks count", async function () {
    await applyServerAction(cluster, BACKEND, "server1", "drain", { wait: true });
    const warnings: string[] = [];
    const transitions: Transition[] = [];
    // The app fails its checks until the reload is over, so the wait cannot end before it.
    await apps[0]!.setReady(false);
    let reloading: Promise<number> | undefined;
    await applyServerAction(cluster, BACKEND, "server1", "ready", {
      wait: true,
      intervalSeconds: 0.2,
      timeoutSeconds: 30,
      onProgress: () => void (reloading ??= lb.reload().then(async (pid) => (await apps[0]!.setReady(true), pid))),
      onTransition: (t) => transitions.push(t),
      onWarning: (m) => warnings.push(m),
    });
    await reloading;
    assert.equal(warnings.length, 2, warnings.join("\n"));
    for (const w of warnings) assert.match(w, /reloaded: server states from its configuration.*myapp\/server1 was coming back on fresh checks there: forced its health down again so only fresh checks count\./);
    // After the reload, server1 went DOWN (forced) before it came UP again on fresh checks.
    const unix = cluster.memberNames[0]!;
    const afterReload = transitions.slice(transitions.findIndex((t) => t.reload && t.member === unix));
    const seen = afterReload.filter((t) => t.member === unix && t.server === "server1").map((t) => t.to);
    assert.ok(seen.some((s) => s.startsWith("DOWN")), `server1 after the reload went: ${seen.join(", ")}`);
    assert.equal(seen[seen.length - 1], "UP");
  });

  it("never counts a reloaded member's read as a passing check while waiting", async function () {
    const progress: WaitProgress[] = [];
    let reloadDone = false;
    const trigger = reloadOnFirstProgress();
    // The condition cannot pass before the reload finished: the first read after it must not count.
    await cluster.waitUntil((snap) => (reloadDone ? rollingRestartCheck(snap, BACKEND, 80) : { ok: false, reason: "reload in progress" }), {
      minChecks: 2,
      intervalSeconds: 0.3,
      timeoutSeconds: 30,
      snapshot: { backend: BACKEND },
      onProgress: (p) => {
        progress.push(p);
        trigger.onProgress(p);
        void trigger.reloaded().then(() => (reloadDone = true));
      },
    });
    await trigger.reloaded();
    // Each member's first read of the new process: a -sf reload shows on both ways in at
    // once, a master-CLI reload may show on one a poll before the other.
    for (const member of cluster.memberNames) {
      const reloadedPoll = progress.find((p) => p.members.some((m) => m.member === member && m.reason?.includes("just reloaded")));
      assert.ok(reloadedPoll, `a poll saw the reload on ${member}: ${JSON.stringify(progress.map((p) => p.members.map((m) => m.reason)))}`);
      assert.equal(reloadedPoll.passes, 0);
      assert.equal(reloadedPoll.members.find((m) => m.member === member)!.reason, "was just reloaded: its server states came from its configuration");
    }
    assert.equal(progress[progress.length - 1]!.passes, 2);
  });

  // -sf only: during a master-CLI reload one snapshot's reads may come from both workers (see the README).
  if (rates) it("reads rates and counter growth across a reload without a negative number or a spike", async function () {
    let sent = 0;
    const doneAt: number[] = [];
    let sending = true;
    const load = (async () => {
      while (sending) {
        // The old process closes idle keep-alive connections as it leaves: a client retries.
        const ok = await fetch(lb.frontendUrl, { signal: AbortSignal.timeout(10_000) }).then((r) => r.text()).then(() => true, () => false);
        if (ok) {
          sent++;
          doneAt.push(Date.now());
        }
      }
    })();
    const rates: number[] = [];
    const bounds: number[] = [];
    const growths: number[] = [];
    const naive: number[] = [];
    let previous = await cluster.member(cluster.memberNames[0]!).snapshot({ types: ["frontend"] });
    let reloaded: Promise<number> | undefined;
    let reloads = 0;
    for (let poll = 0; poll < 20; poll++) {
      await new Promise((r) => setTimeout(r, 250));
      if (poll === 6) reloaded = lb.reload();
      if (poll > 6) await reloaded;
      const now = await cluster.member(cluster.memberNames[0]!).snapshot({ types: ["frontend"] });
      const rate = await cluster.rate("fe_lbr");
      // HAProxy's req_rate covers the last second: never more than was sent in the last two.
      const recent = doneAt.filter((t) => t >= Date.now() - 2_000).length;
      rates.push(rate);
      bounds.push(2 * (recent + 10));
      const before = previous.frontend("fe_lbr").int("req_tot")!;
      const after = now.frontend("fe_lbr").int("req_tot")!;
      const reload = reloadBetween(previous, now);
      if (reload) reloads++;
      growths.push(counterGrowth(before, after, reload !== undefined));
      naive.push(after - before);
      previous = now;
    }
    sending = false;
    await load;
    assert.equal(reloads, 1, "one reload seen");
    assert.ok(naive.some((d) => d < 0), `the plain difference went negative across the reload: ${naive.join(", ")}`);
    for (const g of growths) assert.ok(g >= 0, `growth ${g}`);
    assert.ok(growths.reduce((a, b) => a + b, 0) <= sent, `counted ${growths.reduce((a, b) => a + b, 0)} requests, sent ${sent}`);
    // Summed over both ways in (the same process twice).
    rates.forEach((r, i) => assert.ok(r >= 0 && r <= bounds[i]!, `rate ${r}, at most ${bounds[i]} expected (rates ${rates.join(", ")})`));
  });
});
