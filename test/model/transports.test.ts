// The cluster model against real HAProxy 2.6, through each transport: the stats page
// (HTTP), the Runtime API on a unix socket, and on TCP. Same assertions for all three.

import { strict as assert } from "node:assert";
import { Member } from "../../provider/model/member";
import type { Server } from "../../provider/model/server";
import type { Snapshot } from "../../provider/model/snapshot";
import { startCluster, type Cluster } from "../support/haproxy";
import { waitFor } from "../support/deadline";
import { memberSpec } from "../support/member-specs";

/** Polls the member's own snapshots until `predicate` holds on the server; returns that snapshot. */
async function waitForServer(member: Member, server: string, what: string, predicate: (s: Server) => boolean): Promise<Snapshot> {
  return waitFor(
    `${member.name} to see myapp/${server} ${what}`,
    async (note) => {
      const snap = await member.snapshot({ backend: "myapp" });
      const s = snap.backend("myapp").server(server);
      note(`status ${s.status.raw}, admin ${s.admin}`);
      return predicate(s) ? snap : undefined;
    },
    { timeoutMs: 15_000, intervalMs: 50 },
  );
}

for (const kind of ["http", "unix", "tcp"] as const) {
  describe(`the model through ${kind === "http" ? "the stats page" : `the Runtime API over ${kind}`}`, function () {
    let cluster: Cluster;
    let member: Member;

    before(async function () {
      // rise/fall 3 keep the x/y transitions visible long enough to observe.
      cluster = await startCluster({ members: 1, servers: 3, check: { interMs: 300, rise: 3, fall: 3 } });
      member = new Member(memberSpec(cluster.lbs[0]!, kind));
    });
    after(async function () {
      await member?.close();
      await cluster?.stop();
    });

    it("reads every backend and server in configuration order, with typed numbers", async function () {
      const snap = await member.snapshot();
      const be = snap.backend("myapp");
      assert.deepEqual([...be.servers.keys()], ["server1", "server2", "server3"]);
      for (const s of be.servers.values()) {
        assert.equal(s.status.raw, "UP");
        assert.equal(s.admin, "ready");
        assert.equal(s.health, "up");
        assert.equal(s.serving, true);
        assert.equal(s.weight, 1);
        assert.equal(s.sessions, 0);
        assert.equal(s.backup, false);
        assert.equal(s.hasHealthCheck, true);
      }
      assert.deepEqual(be.capacity, { serving: 3, total: 3, percent: 100 });
      assert.equal(be.rollingRestartable(), true);
      assert.ok(snap.frontends.has(`fe_${cluster.lbs[0]!.name}`), "the frontend is modelled");
      // A frontend has no queue: the empty cell is absent, not 0.
      assert.equal(snap.frontends.get(`fe_${cluster.lbs[0]!.name}`)!.int("qcur"), undefined);
    });

    it("shows drain, maint and ready in the next snapshot with the right admin and health state", async function () {
      await member.drain("myapp", "server1");
      let s = (await member.snapshot({ backend: "myapp" })).backend("myapp").server("server1");
      assert.equal(s.status.raw, "DRAIN");
      assert.equal(s.admin, "drain");
      assert.equal(s.health, "up");
      assert.equal(s.serving, false);

      await member.maint("myapp", "server1");
      s = (await member.snapshot({ backend: "myapp" })).backend("myapp").server("server1");
      assert.equal(s.status.raw, "MAINT");
      assert.equal(s.admin, "maint");
      assert.equal(s.serving, false);

      await member.ready("myapp", "server1");
      await waitForServer(member, "server1", "serving again", (x) => x.serving);
    });

    it("accepts the original tool's disable/enable names as maint/ready", async function () {
      await member.disable("myapp", ["server2"]);
      assert.equal((await member.snapshot({ backend: "myapp" })).backend("myapp").server("server2").admin, "maint");
      await member.enable("myapp", ["server2"]);
      await waitForServer(member, "server2", "serving again", (x) => x.serving);
    });

    it("changes several servers of a backend in one call", async function () {
      await member.drain("myapp", ["server1", "server2"]);
      const be = (await member.snapshot({ backend: "myapp" })).backend("myapp");
      assert.deepEqual([...be.servers.values()].map((s) => s.admin), ["drain", "drain", "ready"]);
      assert.deepEqual(be.capacity, { serving: 1, total: 3, percent: 100 / 3 });
      await member.ready("myapp", ["server1", "server2"]);
      await waitForServer(member, "server2", "serving again", (x) => x.serving);
    });

    if (kind === "http") {
      it("refuses to set a weight over the stats page, saying to use the Runtime API", async function () {
        await assert.rejects(member.setWeight("myapp", "server1", 5), (e: Error & { code?: string }) => e.code === "HC_ACTION_REFUSED" && /Runtime API/.test(e.message));
      });
    } else {
      it("sets a weight and reads it back", async function () {
        await member.setWeight("myapp", "server3", 7);
        const s = (await member.snapshot({ backend: "myapp" })).backend("myapp").server("server3");
        assert.equal(s.weight, 7);
        assert.equal(s.userWeight, 7);
        await member.setWeight("myapp", "server3", "100%");
      });

      it("reports a drained server that is also down as drained (the CSV alone says DOWN)", async function () {
        const app = cluster.apps[2]!;
        await member.drain("myapp", "server3");
        await app.setReady(false);
        try {
          const snap = await waitForServer(member, "server3", "DOWN", (x) => x.status.raw === "DOWN");
          const s = snap.backend("myapp").server("server3");
          assert.equal(s.admin, "drain");
          assert.equal(s.adminStateKnown, true);
        } finally {
          await app.setReady(true);
          await member.ready("myapp", "server3");
        }
        await waitForServer(member, "server3", "serving again", (x) => x.serving);
      });
    }

    it("sees an app failing its check go UP x/y (transitioning, not serving), then DOWN, then DOWN x/y, then UP", async function () {
      const app = cluster.apps[1]!;
      await app.setReady(false);
      let snap = await waitForServer(member, "server2", "going down", (x) => x.health === "up" && x.transitioning);
      let s = snap.backend("myapp").server("server2");
      assert.match(s.status.raw, /^UP [12]\/3$/);
      assert.equal(s.serving, false, "a server failing its checks is not counted as serving");
      snap = await waitForServer(member, "server2", "DOWN", (x) => x.status.raw === "DOWN");
      s = snap.backend("myapp").server("server2");
      assert.equal(s.health, "down");
      assert.equal(s.transitioning, false);
      assert.equal(snap.backend("myapp").rollingRestartable(80), false);

      await app.setReady(true);
      snap = await waitForServer(member, "server2", "coming up", (x) => x.health === "down" && x.transitioning);
      assert.match(snap.backend("myapp").server("server2").status.raw, /^DOWN [12]\/3$/);
      await waitForServer(member, "server2", "UP", (x) => x.status.raw === "UP");
    });

    it("kills a server's open sessions on request", async function () {
      // Only server1 takes new sessions, so the held request lands there.
      await member.drain("myapp", ["server2", "server3"]);
      const started = Date.now();
      const held = fetch(`${cluster.lbs[0]!.frontendUrl}/hold?ms=20000`).then(
        async (r) => `${r.status} ${await r.text().catch(() => "(body cut)")}`,
        () => "connection cut",
      );
      try {
        await waitForServer(member, "server1", "holding a session", (x) => x.sessions === 1);
        await member.shutdownSessions("myapp", "server1");
        const outcome = await held;
        assert.doesNotMatch(outcome, /^200/, `the held request was cut, not answered: ${outcome}`);
        assert.ok(Date.now() - started < 15_000, "cut long before its 20 s");
        await waitForServer(member, "server1", "without sessions", (x) => x.sessions === 0);
      } finally {
        await member.ready("myapp", ["server2", "server3"]);
      }
    });
  });
}
