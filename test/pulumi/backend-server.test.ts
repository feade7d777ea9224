// BackendServer's provider methods (check, diff, create, read, update, delete) called the
// way the engine calls them, against two real HAProxy members in front of three apps: the
// server is added on every member and serves only on passing checks, a reload that drops
// it shows on refresh and the update adds it again, and delete leaves no trace.

import { strict as assert } from "node:assert";
import { backendServer, UNKNOWN } from "../../provider/pulumi/impl";
import { startAppServer, type AppServer } from "../support/app-server";
import { waitFor } from "../support/deadline";
import { refusedPort } from "../support/fake-members";
import { holdSessionOn, rejection, restoreServing, statuses, useRuntimeApiPair, type Rig } from "./helpers";

type Outs = Record<string, unknown> & {
  members: string[];
  server: string;
  addedOn: string[];
  failedOn: Record<string, string>;
  status: Record<string, string>;
  settings: string;
};

describe("BackendServer's check and diff", function () {
  const members = ["unix:/run/haproxy/lb1.sock", "tcp://10.0.0.2:9999"];
  const inputs = (extra: Record<string, unknown> = {}) => ({ members, backend: "myapp", address: "127.0.0.1:17001", namePrefix: "web", ...extra });

  it("applies every default and generates a name from the prefix when none is given", function () {
    const { inputs: checked, failures } = backendServer.check({}, inputs());
    assert.deepEqual(failures, []);
    assert.match(String(checked.server), /^web-[0-9a-f]{8}$/);
    const { server: _generated, ...rest } = checked;
    assert.deepEqual(rest, {
      members,
      backend: "myapp",
      address: "127.0.0.1:17001",
      namePrefix: "web",
      checkIntervalMs: 2000,
      readyTimeoutSeconds: 120,
      sessionsTimeoutSeconds: 60,
      onSessionsTimeout: "fail",
      removeTimeoutSeconds: 120,
      minOtherServing: 1,
      force: false,
      abandonUnreachableMembers: false,
      requestTimeoutSeconds: 5,
      dangerouslySkipTlsVerify: false,
      dangerouslyAcceptUnknownHostKey: false,
    });
  });

  it("keeps the generated name while nothing that replaces the server changes, and makes a new one when the address changes", function () {
    const first = backendServer.check({}, inputs()).inputs;
    assert.equal(backendServer.check(first, inputs({ readyTimeoutSeconds: 30 })).inputs.server, first.server);
    const moved = backendServer.check(first, inputs({ address: "127.0.0.1:17002" })).inputs;
    assert.notEqual(moved.server, first.server);
    assert.match(String(moved.server), /^web-[0-9a-f]{8}$/);
    // The engine checks a replacement again without the old inputs: a new name too.
    assert.notEqual(backendServer.check({}, inputs()).inputs.server, first.server);
    // A name given is kept whatever else changes.
    assert.equal(backendServer.check(first, inputs({ server: "app7", address: "127.0.0.1:17002" })).inputs.server, "app7");
  });

  it("tolerates preview's unknown values, and refuses an input it does not know", function () {
    for (const property of ["members", "backend", "address", "server", "namePrefix", "checkIntervalMs", "triggers"]) {
      const { failures } = backendServer.check({}, inputs({ [property]: UNKNOWN }));
      assert.deepEqual(failures, [], `unknown ${property}`);
    }
    const { failures } = backendServer.check({}, inputs({ adress: "127.0.0.1:1" }));
    assert.deepEqual(failures.map((f) => f.property), ["adress"]);
  });

  it("diff: an address change replaces (create before delete), a deadline change updates, a member without the server asks for an update", function () {
    const olds = { ...backendServer.check({}, inputs()).inputs, addedOn: members, failedOn: {} };
    const moved = backendServer.check(olds, inputs({ address: "127.0.0.1:17002" })).inputs;
    const replace = backendServer.diff("id", olds, moved);
    assert.deepEqual([replace.changes, [...replace.replaces!].sort(), replace.deleteBeforeReplace], [true, ["address", "server"], undefined]);
    const timeout = backendServer.diff("id", olds, backendServer.check(olds, inputs({ readyTimeoutSeconds: 30 })).inputs);
    assert.deepEqual([timeout.changes, timeout.replaces], [true, []]);
    const same = backendServer.check(olds, inputs()).inputs;
    assert.deepEqual(backendServer.diff("id", olds, same), { changes: false, replaces: [] });
    assert.deepEqual(backendServer.diff("id", { ...olds, addedOn: [members[0]] }, same), { changes: true, replaces: [] });
    assert.deepEqual(backendServer.diff("id", { ...olds, failedOn: { [members[1]!]: "not serving" } }, same), { changes: true, replaces: [] });
  });
});

describe("BackendServer against two real HAProxy members", function () {
  this.timeout(60_000);
  let rig: Rig;
  let lb1: string;
  let lb2: string;
  let extra: AppServer[] = [];
  useRuntimeApiPair((started, unixMember, tcpMember) => {
    rig = started;
    lb1 = unixMember;
    lb2 = tcpMember;
  });
  afterEach(async function () {
    // Servers a test added: out of every member, whatever state the test left them in.
    for (const lb of rig.lbs) {
      for (const line of (await lb.runtime(`show servers state ${rig.backend}`)).split("\n")) {
        const name = line.split(" ")[3];
        if (!name || !/^(web|app)/.test(name)) continue;
        await lb.runtime(`set server ${rig.backend}/${name} state maint`);
        await lb.runtime(`del server ${rig.backend}/${name}`);
      }
    }
    await Promise.all(extra.map((a) => a.stop()));
    extra = [];
    await restoreServing(rig);
  });

  async function app(name: string): Promise<AppServer> {
    const started = await startAppServer({ name });
    extra.push(started);
    return started;
  }

  /** The inputs as the program gives them. */
  const given = (extra: Record<string, unknown>) => ({ members: [lb1, lb2], backend: rig.backend, namePrefix: "web", checkIntervalMs: 200, readyTimeoutSeconds: 10, ...extra });
  const checked = (extra: Record<string, unknown>) => backendServer.check({}, given(extra)).inputs;

  async function create(extra: Record<string, unknown>): Promise<{ id: string; outs: Outs }> {
    const { id, outs } = await backendServer.create(checked(extra));
    return { id, outs: outs as Outs };
  }

  /** Whether each member lists the server at all (`show servers state`). */
  const listed = (server: string) =>
    Promise.all(rig.lbs.map(async (lb) => (await lb.runtime(`show servers state ${rig.backend}`)).split("\n").some((l) => l.split(" ")[3] === server)));

  it("create adds the server on every member and returns once it serves on fresh checks; delete removes it from every member", async function () {
    const a = await app("web-a");
    const { id, outs } = await create({ address: `127.0.0.1:${a.port}` });
    assert.match(outs.server, /^web-[0-9a-f]{8}$/);
    assert.match(id, new RegExp(`^myapp/${outs.server}/`));
    assert.deepEqual(await statuses(rig, outs.server), ["UP", "UP"]);
    const rows = await Promise.all(rig.lbs.map((lb) => lb.stat(rig.backend, outs.server)));
    assert.deepEqual(rows.map((r) => r.check_status.replace(/^\* /, "")), ["L7OK", "L7OK"], "in rotation on a passed check");
    assert.deepEqual(outs.addedOn, [lb1, lb2]);
    assert.deepEqual(outs.failedOn, {});
    assert.equal(outs.settings, "check inter 200 rise 2 fall 2 weight 1");
    assert.equal(outs.address, `127.0.0.1:${a.port}`);

    await backendServer.remove(id, outs);
    assert.deepEqual(await listed(outs.server), [false, false], "no trace on any member");
    for (const s of ["server1", "server2", "server3"]) assert.deepEqual(await statuses(rig, s), ["UP", "UP"], s);
  });

  it("deletes run in parallel (as the engine runs them) are guarded in turn: of the last two serving servers, one is removed and the other refused", async function () {
    const made = await Promise.all(["web-a", "web-b"].map(async (name) => create({ address: `127.0.0.1:${(await app(name)).port}` })));
    // The configuration's servers out: the two added ones are all that serve.
    for (const lb of rig.lbs) for (const a of rig.apps) await lb.runtime(`set server ${rig.backend}/${a.name} state maint`);
    const outcomes = await Promise.allSettled(made.map(({ id, outs }) => backendServer.remove(id, outs)));
    const refused = outcomes.flatMap((o, i) => (o.status === "rejected" ? [[made[i]!.outs.server, o.reason as Error & { code?: string }] as const] : []));
    assert.equal(refused.length, 1, outcomes.map((o) => (o.status === "rejected" ? (o.reason as Error).message : "removed")).join("\n"));
    const [kept, error] = refused[0]!;
    assert.equal(error.code, "HC_CAPACITY_GUARD", error.message);
    assert.deepEqual(await statuses(rig, kept), ["UP", "UP"], `${kept} still serves on every member`);
    const removed = made.map((m) => m.outs.server).find((s) => s !== kept)!;
    assert.deepEqual(await listed(removed), [false, false]);
  });

  it("create of a server whose app fails its checks fails at the deadline, naming it, never in rotation, with a record delete can use", async function () {
    const failing = await app("web-b");
    await failing.setReady(false);
    const seen = new Set<string>();
    const watching = { on: true };
    let server = "";
    const watch = (async () => {
      while (watching.on) {
        for (const lb of rig.lbs) {
          const row = server ? await lb.stat(rig.backend, server).catch(() => undefined) : undefined;
          if (row) seen.add(row.status);
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const inputs = checked({ address: `127.0.0.1:${failing.port}`, readyTimeoutSeconds: 2 });
    server = String(inputs.server);
    const error = await rejection(backendServer.create(inputs));
    watching.on = false;
    await watch;
    assert.match(error.message, new RegExp(`myapp/${server} was added at 127\\.0\\.0\\.1:${failing.port} on ${lb1}, ${lb2} but is not serving on all of them`));
    assert.match(error.message, /HAProxy puts it in rotation wherever its health checks pass/);
    assert.ok(![...seen].some((s) => s.startsWith("UP")), `it was in rotation: ${[...seen].join(", ")}`);
    for (const status of await statuses(rig, server)) assert.match(status, /^DOWN/);
    const record = error.properties as Outs;
    assert.equal(typeof error.id, "string");
    assert.deepEqual(record.addedOn, [lb1, lb2]);
    assert.deepEqual(Object.keys(record.failedOn).sort(), [lb1, lb2].sort());
    // The next up asks for an update, which waits for it again: now it passes.
    assert.deepEqual(backendServer.diff(String(error.id), record, inputs), { changes: true, replaces: [] });
    await failing.setReady(true);
    const { outs } = await backendServer.update(String(error.id), record, inputs);
    assert.deepEqual((outs as Outs).failedOn, {});
    assert.deepEqual(await statuses(rig, server), ["UP", "UP"]);
    await backendServer.remove(String(error.id), outs);
    assert.deepEqual(await listed(server), [false, false]);
  });

  it("create with one member reloaded while it waits for fresh checks: the server is added again there and create returns with it serving on every member", async function () {
    // The first moment of a replace deploy's reload (bench/rolling/reload-replace.ts): the
    // new server added, its app still warming up, a member reloaded (-sf).
    const warming = await app("web-e");
    await warming.setReady(false);
    const inputs = checked({ address: `127.0.0.1:${warming.port}`, readyTimeoutSeconds: 20 });
    const server = String(inputs.server);
    const warned: string[] = [];
    const warn = console.warn;
    console.warn = (...args: unknown[]) => void warned.push(args.map(String).join(" "));
    try {
      const creating = backendServer.create(inputs);
      creating.catch(() => undefined);
      await waitFor(`${server} to be added on lb2`, async () => ((await listed(server))[1] ? true : undefined), { timeoutMs: 15_000, intervalMs: 50 });
      const before = rig.lbs[1]!.pid;
      await rig.lbs[1]!.reload();
      assert.notEqual(rig.lbs[1]!.pid, before, "lb2 was reloaded");
      await warming.setReady(true);
      const { outs } = await creating;
      assert.deepEqual((outs as Outs).addedOn, [lb1, lb2]);
      assert.deepEqual(await listed(server), [true, true], "on both members after create");
      assert.deepEqual(await statuses(rig, server), ["UP", "UP"]);
      const rows = await Promise.all(rig.lbs.map((lb) => lb.stat(rig.backend, server)));
      assert.deepEqual(rows.map((r) => r.check_status.replace(/^\* /, "")), ["L7OK", "L7OK"], "in rotation on a passed check");
      assert.ok(warned.some((w) => w.includes(`${rig.backend}/${server} was gone (added at run time), added again`)), `no warning of the repair: ${warned.join(" | ")}`);
      await backendServer.remove(String((await creating).id), outs);
    } finally {
      console.warn = warn;
    }
    assert.deepEqual(await listed(server), [false, false]);
  });

  it("refresh after a reload dropped the server on one member shows it missing there; the update adds it back, serving", async function () {
    const a = await app("web-c");
    const { id, outs } = await create({ address: `127.0.0.1:${a.port}` });
    await rig.lbs[1]!.reload();
    assert.deepEqual(await listed(outs.server), [true, false], "the reload forgot it on lb2");
    const { props } = await backendServer.read(id, outs);
    assert.deepEqual(props.addedOn, [lb1]);
    assert.deepEqual(Object.keys(props.status as object), [lb1]);
    const news = backendServer.check(props, given({ address: `127.0.0.1:${a.port}` }));
    assert.equal(news.inputs.server, outs.server, "the same server");
    assert.deepEqual(backendServer.diff(id, props, news.inputs), { changes: true, replaces: [] });
    const { outs: repaired } = await backendServer.update(id, props, news.inputs);
    assert.deepEqual((repaired as Outs).addedOn, [lb1, lb2]);
    assert.deepEqual(await statuses(rig, outs.server), ["UP", "UP"]);
    await backendServer.remove(id, repaired);
    assert.deepEqual(await listed(outs.server), [false, false]);
  });

  it("delete refuses, changing nothing, when a member that already lost the server (a reload) serves too few of the backend's servers; force removes it", async function () {
    // A replace deploy's second moment (bench/rolling/reload-replace.ts): a reload forgot
    // every server added at run time on lb2, so lb2 serves nothing; removing the old server
    // elsewhere and reporting success would hide it.
    const a = await app("web-f");
    const { id, outs } = await create({ address: `127.0.0.1:${a.port}` });
    await rig.lbs[1]!.reload();
    assert.deepEqual(await listed(outs.server), [true, false], "the reload forgot it on lb2");
    for (const s of ["server1", "server2", "server3"]) await rig.lbs[1]!.runtime(`set server ${rig.backend}/${s} state maint`);
    const refused = await rejection(backendServer.remove(id, outs));
    assert.equal(refused.code, "HC_CAPACITY_GUARD", refused.message);
    assert.ok(refused.message.includes(`${lb2} no longer has it`) && refused.message.includes("pulumi refresh"), refused.message);
    assert.deepEqual(await listed(outs.server), [true, false], "nothing changed");
    assert.equal((await rig.lbs[0]!.stat(rig.backend, outs.server)).status, "UP", "still serving on lb1");
    await backendServer.remove(id, { ...outs, force: true });
    assert.deepEqual(await listed(outs.server), [false, false]);
  });

  it("delete waits for the server's sessions as asked: at the deadline `fail` leaves it drained on every member and in place, `shutdown` ends them and removes it", async function () {
    const a = await app("web-h");
    const { id, outs } = await create({ address: `127.0.0.1:${a.port}` });
    const { done } = await holdSessionOn(rig, 0, outs.server, 60_000);
    // The held request stays on the new server; the others serve again, so the guard passes.
    for (const s of ["server1", "server2", "server3"]) await rig.lbs[0]!.runtime(`set server ${rig.backend}/${s} state ready`);
    const error = await rejection(backendServer.remove(id, { ...outs, sessionsTimeoutSeconds: 1, onSessionsTimeout: "fail" }));
    assert.equal(error.code, "HC_WAIT_DEADLINE");
    assert.match(error.message, new RegExp(`myapp/${outs.server} stays drained on every member read`));
    assert.match(error.message, /On this BackendServer: set onSessionsTimeout to shutdown or proceed/);
    assert.deepEqual(await statuses(rig, outs.server), ["DRAIN", "DRAIN"]);
    await backendServer.remove(id, { ...outs, sessionsTimeoutSeconds: 1, onSessionsTimeout: "shutdown" });
    assert.deepEqual(await listed(outs.server), [false, false]);
    const ended = await done.catch((e: Error) => e);
    assert.ok(!("status" in ended) || ended.status !== 200, `the held request was cut, not answered: ${JSON.stringify(ended)}`);
  });

  it("refuses a name taken in the backend before any change, saying how replacements avoid it", async function () {
    const a = await app("app-d");
    const error = await rejection(create({ address: `127.0.0.1:${a.port}`, server: "server1" }));
    assert.equal(error.code, "HC_SERVER_EXISTS");
    assert.match(error.message, /already has a server server1/);
    assert.match(error.message, /leave `server` out/);
    assert.equal(error.properties, undefined, "nothing to record");
    assert.deepEqual(await statuses(rig, "server1"), ["UP", "UP"]);
  });

  it("delete with a member that cannot be reached fails naming it; abandonUnreachableMembers removes it from the others", async function () {
    const a = await app("web-e");
    const { id, outs } = await create({ address: `127.0.0.1:${a.port}` });
    const dead = `tcp://127.0.0.1:${await refusedPort()}`;
    const withDead = { ...outs, members: [lb1, lb2, dead], addedOn: [lb1, lb2, dead] };
    const error = await rejection(backendServer.remove(id, withDead));
    assert.ok(error.message.includes(dead), error.message);
    assert.match(error.message, /abandonUnreachableMembers: true/);
    assert.deepEqual(await listed(outs.server), [true, true], "nothing changed");
    await backendServer.remove(id, { ...withDead, abandonUnreachableMembers: true });
    assert.deepEqual(await listed(outs.server), [false, false]);
  });

  it("an update with abandonUnreachableMembers leaves out a member that cannot be reached, names it in abandonedOn, and the next up sees no change", async function () {
    const a = await app("web-g");
    const { id, outs } = await create({ address: `127.0.0.1:${a.port}` });
    const dead = `tcp://127.0.0.1:${await refusedPort()}`;
    const news = backendServer.check(outs, given({ address: `127.0.0.1:${a.port}`, members: [lb1, lb2, dead], abandonUnreachableMembers: true })).inputs;
    assert.equal(news.server, outs.server);
    const { outs: updated } = await backendServer.update(id, outs, news);
    assert.deepEqual((updated as Outs).addedOn, [lb1, lb2]);
    assert.deepEqual(Object.keys(updated.abandonedOn as object), [dead]);
    assert.deepEqual(backendServer.diff(id, updated, backendServer.check(updated, given({ address: `127.0.0.1:${a.port}`, members: [lb1, lb2, dead], abandonUnreachableMembers: true })).inputs), { changes: false, replaces: [] });
    assert.deepEqual(await statuses(rig, outs.server), ["UP", "UP"]);
    await backendServer.remove(id, updated);
    assert.deepEqual(await listed(outs.server), [false, false]);
  });
});
