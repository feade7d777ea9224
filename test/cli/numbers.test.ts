// `rate`, `backlog` and `sessions`: one number summed over members, per-member lines,
// JSON, and exit 3 rather than a sum with a member missing.
import assert from "node:assert/strict";
import http from "node:http";
import { waitFor } from "../support/deadline";
import { refusedPort } from "../support/fake-members";
import type { Cluster } from "../support/haproxy";
import { runCli, show, useTwoMemberCluster } from "./helpers";

function get(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http.get(url, { agent: false }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    }).on("error", reject);
  });
}

describe("rate, backlog and sessions on a two-member cluster", function () {
  let cluster: Cluster;
  let members: string[];
  useTwoMemberCluster((started, specs) => {
    cluster = started;
    members = specs;
  });

  it("prints the current sessions of a backend summed over members, and per member with --per-member", async function () {
    // Held until the CLI has read it (a timed hold could end before a slow CLI start).
    const held = get(`${cluster.lbs[0]!.frontendUrl}/hold?ms=600000`);
    await waitFor("lb1 to count the held session", async () => (Number((await cluster.lbs[0]!.stat("myapp", "BACKEND")).scur) === 1 ? true : undefined));
    const r = await runCli(["sessions", "--proxy", "myapp", "--per-member", ...members]);
    assert.equal((await Promise.all(cluster.apps.map((app) => app.releaseHeld()))).reduce((a, b) => a + b, 0), 1, "one request was held");
    assert.equal(r.code, 0, show(r));
    assert.equal(r.stdout, `1\n${members[0]}\t1\n${members[1]}\t0\n`);
    assert.equal(r.stderr, "");
    assert.equal(await held, 200);
  });

  it("prints the request rate summed over members while traffic flows", async function () {
    const r = await waitFor("a non-zero rate", async (note) => {
      await Promise.all(cluster.lbs.flatMap((lb) => Array.from({ length: 5 }, () => get(`${lb.frontendUrl}/`))));
      const res = await runCli(["rate", "--proxy", "myapp", "--per-member", ...members]);
      note(show(res));
      return Number(res.stdout.split("\n")[0]) > 0 ? res : undefined;
    });
    assert.equal(r.code, 0, show(r));
    const [total, ...lines] = r.stdout.trimEnd().split("\n");
    const perMember = lines.map((l) => l.split("\t"));
    assert.deepEqual(perMember.map((p) => p[0]), members);
    assert.equal(Number(total), perMember.reduce((acc, p) => acc + Number(p[1]), 0));
  });

  it("sums every frontend without --proxy", async function () {
    const r = await runCli(["rate", ...members]);
    assert.equal(r.code, 0, show(r));
    assert.match(r.stdout, /^\d+\n$/);
  });

  it("prints the backlog as JSON with --json", async function () {
    const r = await runCli(["backlog", "--backend", "myapp", "--json", ...members]);
    assert.equal(r.code, 0, show(r));
    assert.deepEqual(JSON.parse(r.stdout), { metric: "backlog", backend: "myapp", total: 0, members: { [members[0]!]: 0, [members[1]!]: 0 } });
  });

  it("exits 3 without a number when a member cannot be read", async function () {
    const dead = `tcp://127.0.0.1:${await refusedPort()}`;
    for (const command of ["rate", "backlog", "sessions"]) {
      const r = await runCli([command, ...members, dead]);
      assert.equal(r.code, 3, show(r));
      assert.equal(r.stdout, "", command);
      assert.match(r.stderr, new RegExp(`^${dead}: connection refused.*\\nno ${command} printed: 1 of 3 members could not be read`));
    }
  });

  it("exits 3 for a proxy one member does not have", async function () {
    const r = await runCli(["rate", "--proxy", "fe_lb1", ...members]);
    assert.equal(r.code, 3, show(r));
    assert.equal(r.stdout, "");
    assert.match(r.stderr, /fe_lb1/);
  });
});
