// The held restart, `drain … -- COMMAND`, on real HAProxy: while COMMAND (the app's
// restart) runs, a reload puts the server back on that member, and the CLI drains it
// again at its next poll; then it puts the server back on fresh checks.

import { strict as assert } from "node:assert";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startAppServer, type AppServer } from "../support/app-server";
import { checkedUp, startHaproxy, type HaproxyInstance } from "../support/haproxy";
import { memberSpec } from "../support/member-specs";
import { show, startCli } from "../cli/helpers";


describe("the held restart: drain … -- COMMAND", function () {
  this.timeout(90_000);
  let apps: AppServer[];
  let lb: HaproxyInstance;
  let members: string[];
  let dir: string;

  beforeEach(async function () {
    apps = await Promise.all([1, 2, 3].map((i) => startAppServer({ name: `server${i}` })));
    lb = await startHaproxy({ name: "lbh", backends: [{ name: "myapp", servers: apps.map((a) => ({ name: a.name, port: a.port })), check: { interMs: 300, rise: 2, fall: 2 } }] });
    await Promise.all(apps.map((a) => lb.waitForRow("myapp", a.name, checkedUp, 20_000)));
    members = [memberSpec(lb, "unix"), memberSpec(lb, "http")];
    dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), "held-restart-"));
  });
  afterEach(async function () {
    await lb?.stop();
    await Promise.all((apps ?? []).map((a) => a.stop()));
    await fs.promises.rm(dir, { recursive: true, force: true });
  });

  /** A COMMAND that runs until the test creates `release`, then exits with `status`. */
  function restartCommand(status: number): { args: string[]; release: () => Promise<void> } {
    const marker = path.join(dir, "release");
    const script = `const fs=require("fs");const t=setInterval(()=>{if(fs.existsSync(${JSON.stringify(marker)})){clearInterval(t);process.exit(${status})}},50)`;
    return { args: [process.execPath, "-e", script], release: () => fs.promises.writeFile(marker, "") };
  }

  it("drains the server again on a member reloaded while COMMAND runs, then puts it back on fresh checks", async function () {
    const command = restartCommand(0);
    const cli = startCli(["drain", "--backend", "myapp", "--server", "server1", ...members, "--", ...command.args], { timeoutMs: 80_000 });
    await lb.waitForStatus("myapp", "server1", (s) => s.startsWith("DRAIN"));
    await lb.reload();
    // The new process starts from the configuration (server1 ready); the CLI drains it again.
    await cli.stderrMatch(/was held drained there: drained again\.[\s\S]*was held drained there: drained again\./);
    assert.match((await lb.stat("myapp", "server1")).status, /^DRAIN/);
    await command.release();
    const r = await cli.result;
    assert.equal(r.code, 0, show(r));
    // Members are named without credentials.
    for (const name of members.map((m) => m.replace(/\/\/[^@/]*@/, "//"))) {
      assert.ok(r.stderr.includes(`warning: ${name} reloaded: server states from its configuration (`), r.stderr);
    }
    assert.equal(r.stderr.match(/; myapp\/server1 was held drained there: drained again\.$/gm)?.length, 2, r.stderr);
    assert.match(r.stderr, /finished; putting myapp\/server1 back on fresh health checks\./);
    assert.equal((await lb.stat("myapp", "server1")).status, "UP");
  });

  it("leaves the server drained and exits 2 when COMMAND fails", async function () {
    const command = restartCommand(3);
    const cli = startCli(["drain", "--backend", "myapp", "--server", "server1", ...members, "--", ...command.args], { timeoutMs: 80_000 });
    await lb.waitForStatus("myapp", "server1", (s) => s.startsWith("DRAIN"));
    await command.release();
    const r = await cli.result;
    assert.equal(r.code, 2, show(r));
    // The way back names the members as given, the stats password left out (it is no argument to repeat).
    const back = `haproxy-cluster ready --backend myapp --server server1 --wait ${members.map((m) => m.replace(/\/\/([^:@/]*):[^@/]*@/, "//$1@")).join(" ")} (with the password in HAPROXY_CLUSTER_PASSWORD or --password-file)`;
    assert.ok(r.stderr.includes(`exited with status 3; myapp/server1 stays out of rotation on every member. Put it back once the app is healthy: ${back}\n`), r.stderr);
    assert.match((await lb.stat("myapp", "server1")).status, /^DRAIN/);
  });
});
