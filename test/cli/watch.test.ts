// `watch` the way a person sees it: run in a real terminal (tmux) against two real
// members, read with capture-pane. And the plain-line form when stdout is a pipe.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { waitFor } from "../support/deadline";
import { startCluster, type Cluster } from "../support/haproxy";
import { LIMITS } from "../../provider/policy";
import { CLI, runCli, runtimeMembers, show, startCli } from "./helpers";
import { literally } from "../support/regexp";


const exec = promisify(execFile);
const INTERVAL_SECONDS = 1;
/** Two refreshes, plus room for a loaded machine to start the reads (generous, never hoped-for). */
const TWO_REFRESHES_MS = 2 * INTERVAL_SECONDS * 1000 + 8_000;

describe("watch", function () {
  let cluster: Cluster;
  let members: string[];
  beforeEach(async function () {
    cluster = await startCluster({ members: 2, servers: 3 });
    members = runtimeMembers(cluster);
  });
  afterEach(async function () {
    await cluster?.stop();
  });

  it("shows the table in a terminal, marks a drain on one member as a disagreement, shows a killed member unreadable, and q restores the terminal", async function () {
    const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), "hc-watch-"));
    const socket = path.join(dir, "tmux.sock");
    const exitFile = path.join(dir, "exit");
    const tmux = (...args: string[]) => exec("tmux", ["-S", socket, "-f", "/dev/null", ...args], { timeout: 10_000 }).then((r) => r.stdout);
    const screen = () => tmux("capture-pane", "-p", "-t", "watch");
    const script = path.join(dir, "run.sh");
    // The shell stays after watch ends, so the pane (and its screen state) can still be read.
    await fs.promises.writeFile(script, `unset NO_COLOR HAPROXY_CLUSTER_MEMBERS\n"${process.execPath}" "${CLI}" watch --backend myapp --interval ${INTERVAL_SECONDS} ${members.join(" ")}\necho $? > "${exitFile}"\nexec sleep 600\n`);
    await tmux("new-session", "-d", "-s", "watch", "-x", "140", "-y", "40", `sh ${script}`);
    try {
      const table = await waitFor("the table on screen", async (note) => {
        const text = await screen();
        note(text);
        return /^\s+SERVER\s+\[1\]/m.test(text) && ["server1", "server2", "server3"].every((s) => new RegExp(`^  ${s}\\s+UP s:0 r:\\d+ 5xx:0\\s+UP s:0`, "m").test(text)) ? text : undefined;
      }, { timeoutMs: 20_000 });
      assert.match(table, /haproxy-cluster watch · backend myapp \(1\/1\) · every 1 s/);
      assert.match(table, /members agree/);
      assert.equal((await tmux("display-message", "-p", "-t", "watch", "#{alternate_on}")).trim(), "1", "the view is on the alternate screen");

      await cluster.lbs[0]!.runtime("set server myapp/server2 state drain");
      const drained = await waitFor("server2 marked as a disagreement", async (note) => {
        const text = await screen();
        note(text);
        return /^! server2\s+DRAIN .*\s+UP /m.test(text) && /members disagree on: server2/.test(text) ? text : undefined;
      }, { timeoutMs: TWO_REFRESHES_MS });
      assert.match(drained, /sees myapp\/server2 go UP -> DRAIN/, "the transition is listed below");

      await cluster.lbs[1]!.stop();
      await waitFor("lb2 shown unreadable", async (note) => {
        const text = await screen();
        note(text);
        return /^\[2\] \S+ UNREADABLE: /m.test(text) && /^  server1\s+UP .*UNREADABLE/m.test(text) ? text : undefined;
      }, { timeoutMs: TWO_REFRESHES_MS });
      // lb1 alone shows no disagreement, which says nothing about lb2.
      const unknown = await screen();
      assert.doesNotMatch(unknown, /members agree/, unknown);
      assert.match(unknown, /agreement unknown: 1 of 2 members unreadable/, unknown);

      await tmux("send-keys", "-t", "watch", "q");
      const code = await waitFor("watch to exit", async () => (fs.existsSync(exitFile) ? fs.readFileSync(exitFile, "utf8").trim() : undefined), { timeoutMs: 10_000 });
      assert.equal(code, "0");
      assert.equal((await tmux("display-message", "-p", "-t", "watch", "#{alternate_on}")).trim(), "0", "the alternate screen is left");
      assert.doesNotMatch(await screen(), /SERVER/, "the normal screen is back, without the table");
    } finally {
      await tmux("kill-server").catch(() => undefined);
      await fs.promises.rm(dir, { recursive: true, force: true });
    }
  });

  it("shows a member that comes back as a new process after an outage as reloaded, with what the restart undid", async function () {
    const lb2 = cluster.lbs[1]!;
    const cli = startCli(["watch", "--backend", "myapp", "--interval", "0.5", ...members]);
    await cli.stdoutLines(3);
    await lb2.runtime("set server myapp/server2 state drain");
    await cli.stdoutMatch(/sees myapp\/server2 go UP -> DRAIN\n/);
    const oldPid = lb2.pid;
    const newPid = await lb2.restart({ whileDown: () => cli.stdoutMatch(new RegExp(`${literally(members[1]!)} cannot be read: `)).then(() => undefined) });
    // Compared with the last read before the outage: the new process, and the drain it dropped.
    const back = (await cli.stdoutMatch(new RegExp(`${literally(members[1]!)} can be read again\n(.*\n){0,2}.*sees myapp/server2 go DRAIN -> UP.*\n`)))[0];
    const lines = back.trimEnd().split("\n").map((l) => l.replace(/^\d\d:\d\d:\d\d /, ""));
    assert.equal(lines[0], `${members[1]} can be read again`);
    assert.equal(lines[1], `${members[1]} reloaded: server states from its configuration (PID ${oldPid} -> ${newPid})`);
    assert.match(lines.at(-1)!, new RegExp(`^${literally(members[1]!)} sees myapp/server2 go DRAIN -> UP`));
    cli.kill("SIGTERM");
    const r = await cli.result;
    assert.equal(r.code, 0, show(r));
  });

  it("refuses an --interval below the waits' floor with one sentence and exit 3, reading nothing", async function () {
    const r = await runCli(["watch", "--interval", "0.001", ...members]);
    assert.equal(r.code, 3, show(r));
    assert.equal(r.stderr, `--interval must be a number from ${LIMITS.minIntervalSeconds} to 3600, not "0.001".\n`);
    assert.equal(r.stdout, "");
  });

  it("prints one plain line per change when stdout is not a terminal, and exits 0 on SIGTERM", async function () {
    const cli = startCli(["watch", "--interval", "0.5", ...members]);
    const start = (await cli.stdoutLines(3)).map((l) => l.replace(/^\d\d:\d\d:\d\d /, ""));
    assert.deepEqual(start, ["watching every backend on 2 member(s) every 0.5 s", `${members[0]} myapp: 3/3 serving`, `${members[1]} myapp: 3/3 serving`]);
    await cluster.lbs[1]!.runtime("set server myapp/server3 state maint");
    const lines = await cli.stdoutLines(4);
    assert.equal(lines[3]!.replace(/^\d\d:\d\d:\d\d /, ""), `${members[1]} sees myapp/server3 go UP -> MAINT`);
    // A server appearing on one member and going again (added and deleted at run time, or forgotten by a reload) is a change too.
    await cluster.lbs[1]!.runtime("add server myapp/new9 127.0.0.1:1");
    const added = await cli.stdoutLines(5);
    assert.equal(added[4]!.replace(/^\d\d:\d\d:\d\d /, ""), `${members[1]} sees myapp/new9 go absent -> MAINT`);
    await cluster.lbs[1]!.runtime("del server myapp/new9");
    const gone = await cli.stdoutLines(6);
    assert.equal(gone[5]!.replace(/^\d\d:\d\d:\d\d /, ""), `${members[1]} sees myapp/new9 go MAINT -> absent`);
    cli.kill("SIGTERM");
    const r = await cli.result;
    assert.equal(r.code, 0, show(r));
    assert.doesNotMatch(r.stdout, /\u001b\[/, "no terminal control sequences in a pipe");
  });
});
