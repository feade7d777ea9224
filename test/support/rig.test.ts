// Proves the rig itself: real HAProxy processes, real app servers, and that everything
// started is gone afterwards.
import assert from "node:assert/strict";
import fs from "node:fs";
import { startAppServer } from "./app-server";
import { pidAlive } from "./child";
import { GiveUp, waitFor } from "./deadline";
import { refusedPort, startBlackhole, startHtmlServer, startLoginFormServer, startStaticServer, startTruncatedCsvServer } from "./fake-members";
import { startCluster, startHaproxy, type Cluster } from "./haproxy";
import { runtimeCommand } from "./runtime";

async function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; servedBy: string | null }> {
  const res = await fetch(url, { headers, signal: AbortSignal.timeout(15_000) });
  return { status: res.status, body: await res.text(), servedBy: res.headers.get("x-served-by") };
}

describe("the HAProxy test rig", function () {
  describe("a cluster of two HAProxy members in front of three apps", function () {
    let cluster: Cluster;
    before(async function () {
      cluster = await startCluster({ members: 2, servers: 3 });
    });
    after(async function () {
      await cluster?.stop();
    });

    it("sees every app server UP on both members", async function () {
      assert.equal(cluster.lbs.length, 2);
      for (const lb of cluster.lbs) {
        for (const app of cluster.apps) assert.equal((await lb.stat("myapp", app.name)).status, "UP", `${lb.name} ${app.name}`);
      }
    });

    it("marks an app DOWN on every member once the app stops being ready", async function () {
      const app = cluster.apps[0];
      await app.setReady(false);
      try {
        for (const lb of cluster.lbs) assert.equal(await lb.waitForStatus("myapp", app.name, (s) => s === "DOWN", 5_000), "DOWN");
      } finally {
        await app.setReady(true);
        await Promise.all(cluster.lbs.map((lb) => lb.waitForStatus("myapp", app.name, (s) => s === "UP", 5_000)));
      }
    });

    it("serves a restarted app's new version through the frontend", async function () {
      const app = cluster.apps[1];
      const oldPid = app.pid;
      await app.restart({ version: "2.0.0" });
      assert.notEqual(app.pid, oldPid);
      assert.equal(pidAlive(oldPid), false);
      for (const lb of cluster.lbs) {
        const served = await waitFor(`${lb.name} to route a request to ${app.name} 2.0.0`, async (note) => {
          const res = await get(`${lb.frontendUrl}/`);
          note(`${res.status} ${res.body}`);
          if (res.body === `${app.name} 1.0.0`) throw new GiveUp(`${lb.name}: the old ${app.name} process answered after restart`);
          return res.body === `${app.name} 2.0.0` ? res : undefined;
        }, { timeoutMs: 10_000, intervalMs: 20 });
        assert.equal(served.servedBy, `${app.name}/2.0.0`);
      }
    });

    it("shows a held request as a current session (scur) on the server holding it", async function () {
      const lb = cluster.lbs[0];
      // Held until released once seen: a hold of fixed length could end before a loaded machine's polls see it.
      const held = get(`${lb.frontendUrl}/hold?ms=120000`);
      const holder = await waitFor("an app to hold the request", async () => {
        const states = await Promise.all(cluster.apps.map((app) => app.state()));
        return cluster.apps.find((_, i) => states[i].openRequests >= 1);
      });
      const row = await lb.waitForRow("myapp", holder.name, (r) => Number(r.scur) >= 1, 3_000);
      assert.ok(Number(row.scur) >= 1);
      assert.equal(await holder.releaseHeld(), 1);
      const res = await held;
      assert.equal(res.status, 200);
      assert.equal(res.servedBy, `${holder.name}/${holder.version}`);
      await lb.waitForRow("myapp", holder.name, (r) => r.scur === "0", 3_000);
    });
  });

  describe("a single HAProxy", function () {
    it("leaves no process and no temp dir behind once stopped", async function () {
      const lb = await startHaproxy({ name: "solo", backends: [{ name: "be", servers: [{ name: "s1", port: await refusedPort(), check: false }] }] });
      assert.equal(pidAlive(lb.pid), true);
      assert.equal(fs.existsSync(lb.adminSocket), true);
      await lb.stop();
      assert.equal(pidAlive(lb.pid), false);
      assert.equal(fs.existsSync(lb.dir), false);
    });

    it("refuses an invalid config with HAProxy's own explanation", async function () {
      const start = startHaproxy({ name: "broken", backends: [{ name: "be", servers: [] }], extraGlobal: ["no-such-keyword 1"] });
      await assert.rejects(start, /haproxy -c rejected[\s\S]*no-such-keyword/);
    });

    it("answers the Runtime API at admin level on the admin and TCP sockets and at user level on the user socket", async function () {
      const app = await startAppServer({ name: "s1" });
      const lb = await startHaproxy({ name: "sockets", backends: [{ name: "be", servers: [{ name: "s1", port: app.port }] }] });
      try {
        assert.equal(await lb.runtime("set server be/s1 state drain"), "\n");
        assert.match((await lb.stat("be", "s1")).status, /^DRAIN/);
        const [host, port] = lb.tcpSocket.replace("tcp://", "").split(":");
        assert.equal(await runtimeCommand({ host, port: Number(port) }, "set server be/s1 state ready"), "\n");
        assert.match(await runtimeCommand({ path: lb.userSocket }, "show info"), /^Name: HAProxy$/m);
        assert.match(await runtimeCommand({ path: lb.userSocket }, "set server be/s1 state maint"), /Permission denied/);
      } finally {
        await Promise.all([lb.stop(), app.stop()]);
      }
    });

    it("serves the stats CSV only with the generated credentials", async function () {
      const lb = await startHaproxy({ name: "statspage", backends: [{ name: "be", servers: [{ name: "s1", port: await refusedPort(), check: false }] }] });
      try {
        assert.ok(lb.statsAuth);
        const basic = Buffer.from(`${lb.statsAuth.user}:${lb.statsAuth.password}`).toString("base64");
        assert.equal((await get(`${lb.statsUrl};csv`)).status, 401);
        const page = await get(`${lb.statsUrl};csv`, { authorization: `Basic ${basic}` });
        assert.equal(page.status, 200);
        assert.match(page.body, /^# pxname,svname,/m);
        assert.match(page.body, /^be,s1,.*,no check,/m);
      } finally {
        await lb.stop();
      }
    });
  });

  describe("an app server", function () {
    it("answers 503 to everything while warming up and serves afterwards", async function () {
      const app = await startAppServer({ name: "warm", warmupMs: 1_500 });
      try {
        assert.equal((await get(`${app.url}/check`)).status, 503);
        assert.equal((await get(`${app.url}/`)).status, 503);
        assert.equal((await app.state()).warming, true);
        await waitFor("warm-up to end", async () => ((await get(`${app.url}/check`)).status === 200 ? true : undefined), { timeoutMs: 5_000 });
        assert.deepEqual(await get(`${app.url}/`), { status: 200, body: "warm 1.0.0", servedBy: "warm/1.0.0" });
      } finally {
        await app.stop();
      }
    });

    it("finishes an in-flight request when stopped, then exits", async function () {
      const app = await startAppServer({ name: "graceful" });
      const held = get(`${app.url}/hold?ms=800`);
      await waitFor("the request to be in flight", async () => ((await app.state()).openRequests === 1 ? true : undefined));
      await app.stop();
      assert.equal((await held).status, 200);
      assert.equal(pidAlive(app.pid), false);
    });
  });

  describe("fake members", function () {
    it("include a blackhole that accepts connections and never answers", async function () {
      const hole = await startBlackhole();
      try {
        await assert.rejects(fetch(hole.url, { signal: AbortSignal.timeout(300) }), { name: "TimeoutError" });
      } finally {
        await hole.close();
      }
    });

    it("include a CSV server that drops the connection halfway through the body", async function () {
      const fake = await startTruncatedCsvServer("# pxname,svname,status,\nbe,s1,UP,\nbe,s2,UP,\n");
      try {
        const res = await fetch(fake.url);
        assert.equal(res.status, 200);
        await assert.rejects(res.text());
      } finally {
        await fake.close();
      }
    });

    it("include HTML, login-form and static servers that answer complete responses", async function () {
      const fakes = await Promise.all([startHtmlServer(), startLoginFormServer(), startStaticServer("", { status: 200, headers: { "content-type": "text/csv" } })]);
      try {
        const [html, login, empty] = await Promise.all(fakes.map((f) => fetch(f.url)));
        assert.match(html.headers.get("content-type") ?? "", /^text\/html/);
        assert.match(await login.text(), /<form method="post"/);
        assert.equal(await empty.text(), "");
      } finally {
        await Promise.all(fakes.map((f) => f.close()));
      }
    });

    it("include a port where connections are refused", async function () {
      const port = await refusedPort();
      await assert.rejects(fetch(`http://127.0.0.1:${port}/stats`), (error: Error) => /ECONNREFUSED/.test(String((error.cause as Error | undefined)?.message ?? error.cause)));
    });
  });
});
