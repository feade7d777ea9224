// The stats password never reaches stdout or stderr: given in the URL, in the
// environment or in a file, on success and on every error path (401, refused, bad spec).
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { refusedPort } from "../support/fake-members";
import { startCluster, type Cluster } from "../support/haproxy";
import { httpMemberWithPassword, resetCluster, runCli, show, type CliResult } from "./helpers";

describe("the stats password on a cluster reached over its stats pages", function () {
  let cluster: Cluster;
  let withPassword: string[];
  let plain: string[];
  let passwords: string[];
  let dir: string;
  before(async function () {
    cluster = await startCluster({ members: 2, servers: 3 });
    withPassword = cluster.lbs.map(httpMemberWithPassword);
    plain = cluster.lbs.map((lb) => lb.statsUrl);
    passwords = cluster.lbs.map((lb) => lb.statsAuth!.password);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "hc-secrets-"));
  });
  after(async function () {
    await cluster?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });
  afterEach(async function () {
    await resetCluster(cluster);
  });

  function assertNoSecret(r: CliResult, secrets: string[]): void {
    for (const s of secrets) {
      assert.ok(!r.stdout.includes(s), `password on stdout:\n${show(r)}`);
      assert.ok(!r.stderr.includes(s), `password on stderr:\n${show(r)}`);
    }
  }

  it("never prints a password given in the URL, whatever the command", async function () {
    const runs: Array<[string[], number]> = [
      [["status"], 0],
      [["status", "--json"], 0],
      [["check", "--verbose"], 0],
      [["wait", "--backend", "myapp", "--min-checks", "1", "--interval", "0.2"], 0],
      [["rate", "--per-member", "--json"], 0],
      [["drain", "--backend", "myapp", "--server", "server1", "--wait", "--json", "--verbose"], 0],
      [["ready", "--backend", "myapp", "--server", "server1", "--wait", "--timeout", "10", "--json"], 0],
      [["weight", "--backend", "myapp", "--server", "server1", "--weight", "2"], 3], // the stats page cannot set weights
      [["eval", "cluster"], 0],
      [["-e", "cluster.members"], 0],
    ];
    for (const [args, code] of runs) {
      const r = await runCli([...args, ...withPassword]);
      assert.equal(r.code, code, `${args.join(" ")}: ${show(r)}`);
      assertNoSecret(r, passwords);
    }
  });

  it("uses HAPROXY_CLUSTER_USER and HAPROXY_CLUSTER_PASSWORD and never prints the password", async function () {
    // Both members share one password here: the environment holds one.
    const lb = cluster.lbs[0]!;
    const env = { HAPROXY_CLUSTER_USER: lb.statsAuth!.user, HAPROXY_CLUSTER_PASSWORD: lb.statsAuth!.password };
    for (const args of [["status"], ["check", "--verbose"], ["-e", "process.env.HAPROXY_CLUSTER_PASSWORD"]]) {
      const r = await runCli([...args, plain[0]!], { env });
      assert.equal(r.code, 0, show(r));
      assertNoSecret(r, passwords);
    }
  });

  it("reads the password from --password-file with --user", async function () {
    const lb = cluster.lbs[1]!;
    const file = path.join(dir, "password");
    fs.writeFileSync(file, `${lb.statsAuth!.password}\n`, { mode: 0o600 });
    const r = await runCli(["check", "--verbose", "--user", lb.statsAuth!.user, "--password-file", file, plain[1]!]);
    assert.equal(r.code, 0, show(r));
    assertNoSecret(r, passwords);
  });

  it("reports a refused password (401) as UNKNOWN naming the member, without printing either password", async function () {
    const wrong = "wr0ng-pa55word";
    const url = plain[0]!.replace("http://", `http://admin:${wrong}@`);
    for (const args of [["status"], ["check"], ["drain", "--backend", "myapp", "--server", "server1"], ["wait", "--backend", "myapp", "--timeout", "5"]]) {
      const r = await runCli([...args, url]);
      assert.equal(r.code, 3, show(r));
      assert.match(r.stderr, new RegExp(`${plain[0]}: HTTP 401 .*check the stats user and password`));
      assertNoSecret(r, [...passwords, wrong]);
    }
    const env = await runCli(["status", plain[0]!], { env: { HAPROXY_CLUSTER_USER: "admin", HAPROXY_CLUSTER_PASSWORD: wrong } });
    assert.equal(env.code, 3, show(env));
    assertNoSecret(env, [...passwords, wrong]);
  });

  it("never prints a password on the other error paths: unreachable member, bad spec, unknown command", async function () {
    const secret = "n0t-f0r-y0ur-eyes";
    const dead = `http://admin:${secret}@127.0.0.1:${await refusedPort()}/stats`;
    const results = [
      await runCli(["check", dead]),
      await runCli(["status", "http://admin:n0t-f0r-y0ur-eyes@[::1/stats"]),
      await runCli([dead, "status"]),
    ];
    for (const r of results) {
      assert.equal(r.code, 3, show(r));
      assertNoSecret(r, [secret]);
    }
    assert.equal(results[0]!.code, 3);
    assert.match(results[0]!.stderr, /^http:\/\/127\.0\.0\.1:\d+\/stats: connection refused/m);
    // The password in a URL on the command line is visible in ps: said, without it.
    assert.match(results[0]!.stderr, /^warning: a member URL on the command line holds a password/);
  });
});
