// Host-wide actions through the CLI on two real members: app3 sits in two backends
// (web and api) on lb1 and in one (web) on lb2, at its own address (127.0.0.2), so it
// can be found by name and by address. `tools` is on lb1 only.
import assert from "node:assert/strict";
import { startAppServer, type AppServer } from "../support/app-server";
import { deadSocket } from "../support/fake-members";
import type { BackendSpec } from "../support/haproxy-config";
import { startHaproxy, type HaproxyInstance } from "../support/haproxy-process";
import { runCli, show } from "./helpers";

describe("host-wide actions (--host) on two members", function () {
  let apps: Record<"app3" | "web2" | "api2", AppServer>;
  let lbs: HaproxyInstance[] = [];
  let members: string[];

  const server = (name: string, app: AppServer) => ({ name, port: app.port, address: app.host });
  const checkedUp = (r: Readonly<Record<string, string>>) => r.status === "UP" && r.check_status!.replace(/^\* /, "") === "L7OK";
  /** Every server of every backend of every member, as `member backend/server=STATUS`. */
  async function everyStatus(): Promise<string[]> {
    const out: string[] = [];
    for (const lb of lbs) {
      const csv = await lb.runtime("show stat -1 4 -1");
      for (const line of csv.split("\n").slice(1)) {
        const f = line.split(",");
        if (f.length > 17) out.push(`${lb.name} ${f[0]}/${f[1]}=${f[17]}`);
      }
    }
    return out.sort();
  }

  before(async function () {
    const [app3, web2, api2] = await Promise.all([
      startAppServer({ name: "app3", host: "127.0.0.2" }),
      startAppServer({ name: "web2" }),
      startAppServer({ name: "api2" }),
    ]);
    apps = { app3: app3!, web2: web2!, api2: api2! };
    const lb1: BackendSpec[] = [
      { name: "web", servers: [server("app3", apps.app3), server("web2", apps.web2)] },
      { name: "api", servers: [server("app3", apps.app3), server("api2", apps.api2)] },
      { name: "admin", servers: [server("tools", apps.api2), server("api2", apps.api2)] },
    ];
    const lb2: BackendSpec[] = [
      { name: "web", servers: [server("app3", apps.app3), server("web2", apps.web2)] },
      { name: "api", servers: [server("api2", apps.api2)] },
    ];
    lbs = await Promise.all([startHaproxy({ name: "lb1", backends: lb1 }), startHaproxy({ name: "lb2", backends: lb2 })]);
    members = [`unix:${lbs[0]!.adminSocket}`, lbs[1]!.tcpSocket];
    const specs = [lb1, lb2];
    await Promise.all(lbs.flatMap((lb, i) => specs[i]!.flatMap((be) => be.servers.map((s) => lb.waitForRow(be.name, s.name, checkedUp, 15_000)))));
  });

  after(async function () {
    await Promise.all([...lbs.map((lb) => lb.stop()), ...Object.values(apps ?? {}).map((a) => a.stop())]);
  });

  afterEach(async function () {
    for (const lb of lbs) {
      const csv = await lb.runtime("show stat -1 4 -1");
      for (const line of csv.split("\n").slice(1)) {
        const f = line.split(",");
        if (f.length > 17) await lb.runtime(`set server ${f[0]}/${f[1]} state ready`);
      }
    }
    await Promise.all(lbs.map((lb) => lb.waitForRow("web", "app3", (r) => r.status === "UP", 15_000)));
  });

  const PLAN = (m: string[]) => [
    ["MEMBER", "BACKEND", "SERVER"],
    [m[0], "web", "app3"],
    [m[0], "api", "app3"],
    [m[1], "web", "app3"],
  ];
  const table = (out: string) => out.trim().split("\n").map((l) => l.split(/\s{2,}/));

  for (const host of ["app3", "127.0.0.2"]) {
    it(`drains ${host === "app3" ? "by name" : "by address"} in every backend of every member where it is, after a dry run that changes nothing`, async function () {
      const before = await everyStatus();
      const dry = await runCli(["drain", "--host", host, "--dry-run", ...members]);
      assert.equal(dry.code, 0, show(dry));
      assert.deepEqual(table(dry.stdout), PLAN(members));
      assert.match(dry.stderr, /dry run: drain would apply to 3 backend\(s\) on 2 member\(s\); nothing changed\./);
      assert.deepEqual(await everyStatus(), before, "a dry run changes nothing");

      const r = await runCli(["drain", "--host", host, ...members]);
      assert.equal(r.code, 0, show(r));
      assert.equal(r.stderr, `${members[0]}: web/app3, api/app3 drained\n${members[1]}: web/app3 drained\n`);
      const after = await everyStatus();
      assert.deepEqual(
        after.filter((s) => s.endsWith("=DRAIN")),
        ["lb1 api/app3=DRAIN", "lb1 web/app3=DRAIN", "lb2 web/app3=DRAIN"],
      );
      assert.equal(after.filter((s) => !s.endsWith("=DRAIN") && !s.endsWith("=UP")).length, 0, after.join("\n"));
    });
  }

  it("puts the host back with ready --host --wait, on fresh checks, everywhere it was drained", async function () {
    await runCli(["maint", "--host", "app3", ...members]);
    const r = await runCli(["ready", "--host", "app3", "--wait", "--timeout", "20", ...members]);
    assert.equal(r.code, 0, show(r));
    assert.match(r.stderr, new RegExp(`^${members[0]}: web/app3, api/app3 ready \\(health forced down until fresh checks pass: app3, app3\\), confirmed$`, "m"));
    assert.equal((await everyStatus()).filter((s) => !s.endsWith("=UP")).length, 0);
  });

  it("refuses a host found nowhere, and one found on some members only unless --allow-partial", async function () {
    const nowhere = await runCli(["drain", "--host", "10.9.9.9", ...members]);
    assert.equal(nowhere.code, 3, show(nowhere));
    assert.match(nowhere.stderr, /no server named or at 10\.9\.9\.9 on any member/);

    const before = await everyStatus();
    const partial = await runCli(["drain", "--host", "tools", ...members]);
    assert.equal(partial.code, 3, show(partial));
    assert.ok(partial.stderr.includes(`tools is on ${members[0]} only: it is not on ${members[1]}; check the host, or allow a partial action (--allow-partial)`), partial.stderr);
    assert.deepEqual(await everyStatus(), before);

    const allowed = await runCli(["drain", "--host", "tools", "--allow-partial", ...members]);
    assert.equal(allowed.code, 0, show(allowed));
    assert.match(allowed.stderr, new RegExp(`${members[1]}: tools not found`));
    assert.ok((await everyStatus()).includes("lb1 admin/tools=DRAIN"));
  });

  it("with --allow-partial acts on the members it could read, names the one it could not, and exits 3 (that member was not acted on)", async function () {
    const dead = `unix:${await deadSocket()}`;
    for (const extra of [["--dry-run"], []]) {
      const r = await runCli(["drain", "--host", "app3", "--allow-partial", ...extra, ...members, dead]);
      assert.equal(r.code, 3, show(r));
      assert.ok(r.stderr.includes(`${dead}: could not be read: ${dead}: connection refused`), show(r));
      const verb = extra.length > 0 ? "would act" : "acted";
      assert.ok(r.stderr.trimEnd().endsWith(`drain --host app3 ${verb} on ${members.join(", ")} only: ${dead} could not be read, so whether app3 is there, and in what state, is unknown; run the same command for ${dead} once it answers.`), show(r));
    }
    assert.deepEqual((await everyStatus()).filter((s) => s.endsWith("=DRAIN")), ["lb1 api/app3=DRAIN", "lb1 web/app3=DRAIN", "lb2 web/app3=DRAIN"]);
  });

  it("guards every backend the host is in: one backend without another serving server refuses the whole drain, in the dry run too", async function () {
    await lbs[0]!.runtime("set server api/api2 state maint");
    const before = await everyStatus();
    for (const extra of [["--dry-run"], []]) {
      const r = await runCli(["drain", "--host", "127.0.0.2", ...extra, ...members]);
      assert.equal(r.code, 2, show(r));
      assert.ok(r.stderr.includes(`refusing to take api/app3 out: on ${members[0]} only 0 other server(s) would keep serving, below minOtherServing 1`), r.stderr);
      assert.deepEqual(await everyStatus(), before, "nothing changed");
    }
    const forced = await runCli(["drain", "--host", "127.0.0.2", "--force", ...members]);
    assert.equal(forced.code, 0, show(forced));
  });
});
