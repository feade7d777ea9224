// add-server, remove-server and set-address through the CLI on a real two-member cluster:
// a new server enters rotation only on passing checks, removal is guarded, drains first
// and leaves no trace, a new address is taken on fresh checks, and a failure names the member.
import assert from "node:assert/strict";
import http from "node:http";
import { startAppServer, type AppServer } from "../support/app-server";
import { waitFor } from "../support/deadline";
import { refusedPort } from "../support/fake-members";
import { startHaproxy, type Cluster } from "../support/haproxy";
import { runCli, show, startCli, useTwoMemberCluster } from "./helpers";

/** The --json report of a failed add-server, remove-server or set-address. */
interface Failure {
  command: string;
  step: string;
  error: { code: string; message: string };
  members: Array<{ member: string; outcome: string; error?: { code: string }; now: { status?: string; address?: string; unreadable?: string } }>;
}

/** A GET /hold?ms=… on its own connection; resolves with its status when it ends. */
function hold(url: string, ms: number): Promise<number | string> {
  return new Promise((resolve) => {
    const req = http.get(`${url}/hold?ms=${ms}`, { agent: false }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? "no status"));
    });
    req.on("error", (e) => resolve(e.message));
  });
}

describe("servers that come and go, on a two-member cluster", function () {
  let cluster: Cluster;
  let members: string[];
  let extra: AppServer[] = [];
  useTwoMemberCluster((started, specs) => {
    cluster = started;
    members = specs;
  });

  /** Every member's `show servers state` lines for the server (none once it is gone). */
  const stateLines = async (server: string) =>
    (await Promise.all(cluster.lbs.map((lb) => lb.runtime("show servers state myapp")))).flatMap((out) => out.split("\n").filter((l) => l.split(" ")[3] === server));
  const statusOn = (server: string) => Promise.all(cluster.lbs.map(async (lb) => (await lb.stat("myapp", server)).status));

  async function app(name: string): Promise<AppServer> {
    const started = await startAppServer({ name });
    extra.push(started);
    return started;
  }

  /** An app and a server for it added on every member, serving (add-server --wait). */
  async function addServing(name: string): Promise<AppServer> {
    const started = await app(name);
    const r = await runCli(["add-server", "--backend", "myapp", "--server", name, "--address", `127.0.0.1:${started.port}`, "--check-interval", "200", "--wait", "--timeout", "10", ...members]);
    assert.equal(r.code, 0, show(r));
    return started;
  }

  /** A request of `ms` held on `name` through lb1 (the only server taking new traffic there meanwhile), once lb1 counts it. */
  async function holdOn(name: string, ms: number): Promise<{ held: Promise<number | string> }> {
    const lb1 = cluster.lbs[0]!;
    const others = ["server1", "server2", "server3"];
    for (const s of others) await lb1.runtime(`set server myapp/${s} state drain`);
    const held = hold(lb1.frontendUrl, ms);
    await lb1.waitForRow("myapp", name, (row) => Number(row.scur) >= 1, 5_000);
    for (const s of others) await lb1.runtime(`set server myapp/${s} state ready`);
    return { held };
  }

  afterEach(async function () {
    // Servers a test added: out of every member, whatever state the test left them in.
    for (const lb of cluster.lbs) {
      for (const line of (await lb.runtime("show servers state myapp")).split("\n")) {
        const name = line.split(" ")[3];
        if (!name || !/^new/.test(name)) continue;
        await lb.runtime(`set server myapp/${name} state maint`);
        await lb.runtime(`del server myapp/${name}`);
      }
    }
    await Promise.all(extra.map((a) => a.stop()));
    extra = [];
  });

  it("adds a server whose app fails its checks without putting it in rotation, and it serves once the app passes", async function () {
    const failing = await app("new1");
    await failing.setReady(false);
    const seen = new Set<string>();
    const watching = { on: true };
    const watch = (async () => {
      while (watching.on) {
        for (const lb of cluster.lbs) {
          const row = await lb.stat("myapp", "new1").catch(() => undefined);
          if (row) seen.add(row.status);
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const r = await runCli(["add-server", "--backend", "myapp", "--server", "new1", "--address", `127.0.0.1:${failing.port}`, "--check-interval", "200", "--wait", "--timeout", "2", ...members]);
    watching.on = false;
    await watch;
    assert.equal(r.code, 2, show(r));
    assert.match(r.stderr, /myapp\/new1 added at 127\.0\.0\.1:\d+ \(check inter 200 rise 2 fall 2 weight 1\)/);
    assert.ok(![...seen].some((s) => s.startsWith("UP")), `new1 was in rotation: ${[...seen].join(", ")}\n${show(r)}`);
    for (const status of await statusOn("new1")) assert.match(status, /^DOWN/);
    // Checks like the backend's own: rise and fall copied from its servers.
    const row = await cluster.lbs[0]!.stat("myapp", "new1");
    assert.equal(row.check_rise, "2");
    assert.equal(row.check_fall, "2");

    await failing.setReady(true);
    await Promise.all(cluster.lbs.map((lb) => lb.waitForRow("myapp", "new1", (s) => s.status === "UP" && /L7OK/.test(s.check_status), 10_000)));
  });

  it("refuses a name taken on the members, naming each, and changes nothing", async function () {
    const other = await app("new2");
    const r = await runCli(["add-server", "--backend", "myapp", "--server", "server1", "--address", `127.0.0.1:${other.port}`, ...members]);
    assert.equal(r.code, 3, show(r));
    for (const m of members) assert.ok(r.stderr.includes(`${m}: myapp already has a server server1`), show(r));
    assert.match(r.stderr, /Nothing changed on any member\./);
    assert.deepEqual(await statusOn("server1"), ["UP", "UP"]);
  });

  it("refuses before any change when a member cannot be reached, naming it", async function () {
    const other = await app("new3");
    const dead = `tcp://127.0.0.1:${await refusedPort()}`;
    const r = await runCli(["add-server", "--backend", "myapp", "--server", "new3", "--address", `127.0.0.1:${other.port}`, members[0]!, dead]);
    assert.equal(r.code, 3, show(r));
    assert.ok(r.stderr.includes(dead), show(r));
    assert.match(r.stderr, /Nothing changed on any member\./);
    assert.deepEqual(await stateLines("new3"), []);
  });

  it("add-server --json: a name taken on one member only is refused naming that member, each member's outcome reported, nothing changed", async function () {
    const other = await app("new10");
    // Someone else's new10 on lb2 only, at another address.
    assert.match(await cluster.lbs[1]!.runtime("add server myapp/new10 127.0.0.1:1"), /New server registered/);
    const r = await runCli(["add-server", "--backend", "myapp", "--server", "new10", "--address", `127.0.0.1:${other.port}`, "--json", ...members]);
    assert.equal(r.code, 3, show(r));
    assert.ok(r.stderr.includes(`${members[1]}: myapp already has a server new10; choose another name or remove it first. Nothing changed on any member.`), show(r));
    assert.ok(!r.stderr.includes(`${members[0]}: myapp already has`), show(r));
    const doc = JSON.parse(r.stdout) as Failure;
    assert.equal(doc.command, "add-server");
    assert.equal(doc.error.code, "HC_SERVER_EXISTS");
    assert.deepEqual(
      doc.members.map((m) => [m.member, m.outcome, m.error?.code, m.now]),
      [
        [members[0], "unchanged", undefined, { status: "absent" }],
        [members[1], "failed", "HC_SERVER_EXISTS", { status: "MAINT", address: "127.0.0.1:1" }],
      ],
    );
    assert.equal((await stateLines("new10")).length, 1, "only lb2's own new10");
  });

  it("set-address --json with one member unreachable is refused before any change, naming it, and reports every member as it is", async function () {
    const first = await addServing("new11");
    const second = await app("new11b");
    const dead = `tcp://127.0.0.1:${await refusedPort()}`;
    const r = await runCli(["set-address", "--backend", "myapp", "--server", "new11", "--address", `127.0.0.1:${second.port}`, "--json", members[0]!, dead]);
    assert.equal(r.code, 3, show(r));
    assert.ok(r.stderr.includes(`cannot check capacity on ${dead}`), show(r));
    const doc = JSON.parse(r.stdout) as Failure;
    assert.equal(doc.error.code, "HC_MEMBER_UNREACHABLE");
    assert.deepEqual(doc.members[0], { member: members[0], outcome: "unchanged", now: { status: "UP", address: `127.0.0.1:${first.port}` } });
    assert.deepEqual([doc.members[1]!.member, doc.members[1]!.outcome, doc.members[1]!.error?.code], [dead, "failed", "HC_MEMBER_UNREACHABLE"]);
    assert.ok(doc.members[1]!.now.unreadable?.includes(dead), JSON.stringify(doc.members[1]));
    assert.deepEqual(await statusOn("new11"), ["UP", "UP"]);
  });

  it("set-address --json where one member refuses the change (a read-only socket): drained on the other only, said on stderr and in the report", async function () {
    const first = await addServing("new12");
    const second = await app("new12b");
    const readOnly = `unix:${cluster.lbs[1]!.userSocket}`;
    const r = await runCli(["set-address", "--backend", "myapp", "--server", "new12", "--address", `127.0.0.1:${second.port}`, "--json", members[0]!, readOnly]);
    assert.equal(r.code, 3, show(r));
    assert.ok(r.stderr.includes(`drain myapp/new12 failed on 1 of 2 members: ${readOnly}`), show(r));
    assert.ok(r.stderr.includes(`It was applied on ${members[0]} only.`), show(r));
    const doc = JSON.parse(r.stdout) as Failure;
    assert.equal(doc.step, "drain");
    assert.equal(doc.error.code, "HC_PARTIAL_FAILURE");
    assert.deepEqual(doc.members[0], { member: members[0], outcome: "done", now: { status: "DRAIN", address: `127.0.0.1:${first.port}` } });
    assert.deepEqual([doc.members[1]!.member, doc.members[1]!.outcome, doc.members[1]!.now], [readOnly, "failed", { status: "UP" }]);
    assert.ok(doc.members[1]!.error!.code.startsWith("HC_"), JSON.stringify(doc.members[1]));
    assert.deepEqual(await statusOn("new12"), ["DRAIN", "UP"]);
  });

  it("adds a checked server with weight 1 to a backend none of whose servers is checked (HAProxy's rise and fall), and keeps it out while its app fails", async function () {
    const failing = await app("new9");
    await failing.setReady(false);
    // Only an unchecked placeholder of weight 0: nothing to copy checks or a weight from.
    const plain = await startHaproxy({ name: "lb4", backends: [{ name: "myapp", servers: [{ name: "seed", port: await refusedPort(), check: false, weight: 0 }] }] });
    try {
      const r = await runCli(["add-server", "--backend", "myapp", "--server", "new9", "--address", `127.0.0.1:${failing.port}`, "--check-interval", "200", "--wait", "--timeout", "2", plain.tcpSocket]);
      assert.equal(r.code, 2, show(r));
      assert.match(r.stderr, /myapp\/new9 added at 127\.0\.0\.1:\d+ \(check inter 200 rise 2 fall 3\)/);
      const row = await plain.stat("myapp", "new9");
      assert.match(row.status, /^DOWN/, "an app failing its checks is out of rotation");
      assert.equal(row.weight, "1");
      await failing.setReady(true);
      await plain.waitForRow("myapp", "new9", (s) => s.status === "UP" && /L7OK/.test(s.check_status), 10_000);
    } finally {
      await plain.stop();
    }
  });

  it("passes on HAProxy's reason when one member's backend cannot take the server, and deletes it again where it was added", async function () {
    const other = await app("new8");
    // The same backend with a static algorithm, which HAProxy refuses dynamic servers in.
    const servers = cluster.apps.map((a) => ({ name: a.name, port: a.port }));
    const hashed = await startHaproxy({ name: "lb3", backends: [{ name: "myapp", servers }], extraDefaults: ["balance source", "hash-type map-based"] });
    try {
      const r = await runCli(["add-server", "--backend", "myapp", "--server", "new8", "--address", `127.0.0.1:${other.port}`, members[0]!, hashed.tcpSocket]);
      assert.equal(r.code, 3, show(r));
      assert.match(r.stderr, new RegExp(`${hashed.tcpSocket}: HAProxy refused to add myapp/new8: Backend (must use a dynamic load balancing|does not support dynamic servers)`));
      assert.ok(r.stderr.includes(`It was deleted again on ${members[0]}`), show(r));
      assert.match(r.stderr, /nothing changed on any member\./);
      assert.deepEqual(await stateLines("new8"), []);
    } finally {
      await hashed.stop();
    }
  });

  it("remove-server refuses to remove the last serving server and changes nothing", async function () {
    await addServing("new6");
    for (const lb of cluster.lbs) for (const s of ["server1", "server2", "server3"]) await lb.runtime(`set server myapp/${s} state maint`);
    const r = await runCli(["remove-server", "--backend", "myapp", "--server", "new6", ...members]);
    assert.equal(r.code, 2, show(r));
    assert.match(r.stderr, /--force/);
    assert.deepEqual(await statusOn("new6"), ["UP", "UP"]);
  });

  it("remove-server refuses a server from the configuration file, naming the members, and leaves no probe behind", async function () {
    const r = await runCli(["remove-server", "--backend", "myapp", "--server", "server1", ...members]);
    assert.equal(r.code, 3, show(r));
    assert.ok(r.stderr.includes(`myapp/server1 is in the configuration file of ${members.join(", ")}`), show(r));
    assert.match(r.stderr, /--configured-too/);
    assert.deepEqual(await statusOn("server1"), ["UP", "UP"]);
    for (const lb of cluster.lbs) assert.doesNotMatch(await lb.runtime("show servers state myapp"), /hc-probe-/);
  });

  it("remove-server names a member that lost the server and changes nothing", async function () {
    await addServing("new7");
    // As a reload of lb2 would: the server is gone there.
    await cluster.lbs[1]!.runtime("set server myapp/new7 state maint");
    assert.match(await cluster.lbs[1]!.runtime("del server myapp/new7"), /Server deleted/);
    const r = await runCli(["remove-server", "--backend", "myapp", "--server", "new7", ...members]);
    assert.equal(r.code, 3, show(r));
    assert.ok(r.stderr.includes(`${members[1]}: myapp has no server new7`), show(r));
    assert.ok(r.stderr.includes(`leave ${members[1]} out`), show(r));
    assert.equal((await cluster.lbs[0]!.stat("myapp", "new7")).status, "UP");
  });

  it("remove-server drains the server, waits for its sessions, and leaves no trace on any member", async function () {
    const app4 = await addServing("new4");
    // Held until released below, so the draining is seen while the CLI waits for it, however
    // long the CLI takes to start on a loaded machine (a hold of fixed length could end first).
    const { held } = await holdOn("new4", 120_000);
    const lb1 = cluster.lbs[0]!;

    const running = startCli(["remove-server", "--backend", "myapp", "--server", "new4", "--sessions-timeout", "10", "--json", ...members]);
    await lb1.waitForRow("myapp", "new4", (row) => row.status === "DRAIN" && Number(row.scur) >= 1, 20_000);
    assert.equal(await app4.releaseHeld(), 1, "the held request was still open while new4 drained");
    const r = await running.result;
    assert.equal(r.code, 0, show(r));
    assert.equal(await held, 200, "the held request finished");
    assert.deepEqual(await stateLines("new4"), []);
    await assert.rejects(lb1.stat("myapp", "new4"));
    assert.ok(r.stderr.includes(`myapp/new4 removed on ${members.join(", ")}; to go back: haproxy-cluster add-server --backend myapp --server new4 --address HOST:PORT`), show(r));
    const json = JSON.parse(r.stdout) as { removed: string[]; sessions: { drained: boolean } };
    assert.deepEqual(json.removed, members);
    assert.equal(json.sessions.drained, true);
  });

  it("remove-server whose sessions outlast their deadline leaves the server drained, says so, and removes nothing", async function () {
    const app9 = await addServing("new9");
    // Held until released after the CLI ends: a hold of fixed length could end within the
    // CLI's start-up and its 1 s deadline on a loaded machine.
    const { held } = await holdOn("new9", 120_000);
    const r = await runCli(["remove-server", "--backend", "myapp", "--server", "new9", "--sessions-timeout", "1", ...members]);
    assert.equal(r.code, 2, show(r));
    assert.ok(r.stderr.includes("myapp/new9 stays drained on every member read, and nothing else changed"), show(r));
    assert.deepEqual(await statusOn("new9"), ["DRAIN", "DRAIN"]);
    assert.equal(await app9.releaseHeld(), 1);
    assert.equal(await held, 200);
  });

  it("set-address moves a server to a new address and serves there only on fresh checks", async function () {
    await addServing("new5");
    const second = await app("new5b");
    await second.setReady(false);
    const r = await runCli(["set-address", "--backend", "myapp", "--server", "new5", "--address", `127.0.0.1:${second.port}`, "--wait", "--timeout", "2", ...members]);
    assert.equal(r.code, 2, show(r));
    for (const lb of cluster.lbs) {
      const row = await lb.stat("myapp", "new5");
      assert.equal(row.addr, `127.0.0.1:${second.port}`);
      assert.ok(!row.status.startsWith("UP"), `new5 serves at an address that fails its checks: ${row.status}`);
    }
    await second.setReady(true);
    await Promise.all(cluster.lbs.map((lb) => lb.waitForRow("myapp", "new5", (s) => s.status === "UP", 10_000)));
    await waitFor("the new address to answer checks", async () => ((await second.state()).ready ? true : undefined));
  });
});
