// `status` and `check` against two real HAProxy members (a unix socket and a TCP Runtime
// API) in front of three apps: tables, disagreement, every Nagios state with its perfdata.
import assert from "node:assert/strict";
import { refusedPort } from "../support/fake-members";
import { startCluster, type Cluster } from "../support/haproxy";
import { resetCluster, runCli, runtimeMembers, show } from "./helpers";
import { literally } from "../support/regexp";

const perf = (m: string, serving: number, total: number, pct: string, warn = 80, crit = 50) =>
  `'${m}_myapp_serving'=${serving};;;0;${total} '${m}_myapp_serving_pct'=${pct}%;${warn}:;${crit}:;0;100 '${m}_myapp_sessions'=0;;;0 '${m}_myapp_backlog'=0;;;0`;

describe("status and check on a two-member cluster", function () {
  let cluster: Cluster;
  let members: string[];
  let legend: string;
  before(async function () {
    cluster = await startCluster({ members: 2, servers: 3 });
    members = runtimeMembers(cluster);
    legend = `m1=${members[0]} m2=${members[1]}`;
  });
  after(async function () {
    await cluster?.stop();
  });
  afterEach(async function () {
    await resetCluster(cluster);
  });

  const lb2 = () => cluster.lbs[1]!;

  describe("status", function () {
    it("prints a table per backend with a column per member and serving/total per member", async function () {
      const r = await runCli(["status", ...members]);
      assert.equal(r.code, 0, show(r));
      const [table, notes] = r.stdout.split("\n\n").length > 2 ? [r.stdout.split("\n\n").slice(0, 2).join("\n\n"), r.stdout.split("\n\n").slice(2).join("\n\n")] : [r.stdout, ""];
      assert.equal(
        `${table}\n`.replace(/\n+$/, "\n"),
        [`m1  ${members[0]}`, `m2  ${members[1]}`, "", "myapp    m1  m2", "server1  UP  UP", "server2  UP  UP", "server3  UP  UP", "serving: m1 3/3 (100%), m2 3/3 (100%)", ""].join("\n"),
      );
      // The members started moments ago: status says so, as it would after a reload.
      const note = (label: string, lb: { pid: number }) =>
        new RegExp(`^${label} was reloaded or restarted \\d+ s ago \\(PID ${lb.pid}\\): server states come from its configuration; drains, maint and weights set before then are gone unless it loads a saved server state, and servers added at run time are gone in any case \\(see "Reloads" in docs\\/production\\.md\\)\\.$`);
      const lines = notes.trim().split("\n");
      assert.equal(lines.length, 2, notes);
      assert.match(lines[0]!, note("m1", cluster.lbs[0]!));
      assert.match(lines[1]!, note("m2", cluster.lbs[1]!));
      assert.equal(r.stderr, "");
    });

    it("flags servers the members disagree on and shows a drain hidden by DOWN", async function () {
      await lb2().runtime("set server myapp/server2 state drain");
      await lb2().runtime("disable health myapp/server2");
      await lb2().runtime("set server myapp/server2 health down");
      await lb2().runtime("set server myapp/server3 state maint");
      const r = await runCli(["status", "--backend", "myapp", ...members]);
      assert.equal(r.code, 0, show(r));
      assert.match(r.stdout, /^server1 +UP +UP$/m);
      assert.match(r.stdout, /^server2 +UP +DOWN \(drain\) +disagree$/m);
      assert.match(r.stdout, /^server3 +UP +MAINT +disagree$/m);
      assert.match(r.stdout, /^serving: m1 3\/3 \(100%\), m2 1\/3 \(33\.3%\)$/m);
    });

    it("flags a server present on one member and missing on the other (added at run time there only) as a disagreement", async function () {
      // What a reload leaves behind on the member it forgot the server on, or an add on one member only.
      assert.match(await lb2().runtime("add server myapp/new9 127.0.0.1:1"), /New server registered/);
      try {
        await lb2().runtime("set server myapp/new9 state drain");
        const r = await runCli(["status", "--backend", "myapp", ...members]);
        assert.equal(r.code, 0, show(r));
        assert.match(r.stdout, /^server1 +UP +UP$/m);
        assert.match(r.stdout, /^new9 +- +DRAIN +disagree$/m);
        const json = await runCli(["status", "--json", "--backend", "myapp", ...members]);
        const doc = JSON.parse(json.stdout) as { backends: Array<{ name: string; disagree: string[] }> };
        assert.deepEqual(doc.backends.find((b) => b.name === "myapp")!.disagree, ["new9"]);
      } finally {
        await lb2().runtime("set server myapp/new9 state maint");
        await lb2().runtime("del server myapp/new9");
      }
    });

    it("marks a server set to weight 0, which HAProxy still calls UP but sends no new traffic", async function () {
      await lb2().runtime("set weight myapp/server2 0");
      const r = await runCli(["status", "--backend", "myapp", ...members]);
      assert.equal(r.code, 0, show(r));
      assert.match(r.stdout, /^server2 +UP +UP \(weight 0\) +disagree$/m);
      assert.match(r.stdout, /^serving: m1 3\/3 \(100%\), m2 2\/3 \(66\.7%\)$/m);
    });

    it("says a backend no member has is unknown there, not that the members are unreadable, and exits 3", async function () {
      const r = await runCli(["status", "--backend", "nosuch", ...members]);
      assert.equal(r.code, 3, show(r));
      assert.match(r.stdout, /^serving: m1 no such backend, m2 no such backend$/m, show(r));
      assert.doesNotMatch(r.stdout, /unreadable/, show(r));
      const lines = r.stderr.trimEnd().split("\n");
      assert.equal(lines.length, 2, show(r));
      lines.forEach((line, i) => assert.ok(line.startsWith(`${members[i]}: `) && line.includes("nosuch"), show(r)));
      const json = await runCli(["status", "--json", "--backend", "nosuch", ...members]);
      assert.equal(json.code, 3, show(json));
      const doc = JSON.parse(json.stdout) as { members: Array<{ ok: boolean; error?: { code: string } }> };
      assert.deepEqual(doc.members.map((m) => m.error?.code), ["HC_UNKNOWN_BACKEND", "HC_UNKNOWN_BACKEND"]);
    });

    it("prints one JSON document with --json: every member's snapshot and a summary per backend", async function () {
      await lb2().runtime("set server myapp/server3 state maint");
      const r = await runCli(["status", "--json", ...members]);
      assert.equal(r.code, 0, show(r));
      const doc = JSON.parse(r.stdout) as {
        complete: boolean;
        members: Array<{ member: string; ok: boolean; backends: Array<{ name: string; servers: Array<{ name: string; status: string }> }> }>;
        backends: Array<{ name: string; members: Array<{ member: string; label: string; serving: number; total: number }>; disagree: string[] }>;
      };
      assert.equal(doc.complete, true);
      assert.deepEqual(doc.members.map((m) => [m.member, m.ok]), [[members[0], true], [members[1], true]]);
      const myapp = doc.backends.find((b) => b.name === "myapp")!;
      assert.deepEqual(myapp.members.map((m) => [m.label, m.serving, m.total]), [["m1", 3, 3], ["m2", 2, 3]]);
      assert.deepEqual(myapp.disagree, ["server3"]);
    });

    it("still prints what it read when a member is unreachable, names it on stderr and exits 3", async function () {
      const dead = `http://127.0.0.1:${await refusedPort()}/stats`;
      const r = await runCli(["status", ...members, dead]);
      assert.equal(r.code, 3, show(r));
      assert.match(r.stdout, /^server1 +UP +UP +\?$/m);
      assert.match(r.stdout, /m3 unreadable/);
      assert.equal(r.stderr, `${dead}: connection refused; is HAProxy running and is its stats page on this address?\n`);
    });
  });

  describe("one HAProxy given under two spellings", function () {
    /** The warning naming `a` and `b` as the PID of lb1. */
    const warning = (a: string, b: string) =>
      new RegExp(`^warning: ${literally(a)} and ${literally(b)} are one HAProxy \\(PID ${cluster.lbs[0]!.pid}, started \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d UTC on \\S+\\), counted 2 times in sums and checks; list it once\\.$`, "m");

    it("warns in status, check and rate, naming both spellings: its unix and TCP sockets, and localhost and 127.0.0.1", async function () {
      const lb1 = cluster.lbs[0]!;
      const unix = `unix:${lb1.adminSocket}`;
      const tcp = lb1.tcpSocket;
      const localhost = tcp.replace("127.0.0.1", "localhost");
      const status = await runCli(["status", "--backend", "myapp", unix, tcp, members[1]!]);
      assert.equal(status.code, 0, show(status));
      assert.match(status.stderr, warning(unix, tcp), show(status));
      assert.equal(status.stderr.split("\n").length, 2, show(status));

      const check = await runCli(["check", "--backend", "myapp", tcp, localhost]);
      assert.equal(check.code, 0, show(check));
      assert.match(check.stdout, /^HAPROXY-CLUSTER OK - myapp: 3\/3 serving on 2 members \| /);
      assert.match(check.stderr, warning(tcp, localhost), show(check));

      const rate = await runCli(["sessions", "--proxy", "myapp", unix, localhost]);
      assert.equal(rate.code, 0, show(rate));
      assert.match(rate.stderr, warning(unix, localhost), show(rate));
    });

    it("does not warn about two HAProxy processes on one host", async function () {
      const r = await runCli(["check", "--backend", "myapp", ...members]);
      assert.equal(r.code, 0, show(r));
      assert.equal(r.stderr, "");
    });
  });

  describe("check", function () {
    it("is OK with one line and perfdata when every member serves everything", async function () {
      const r = await runCli(["check", "--backend", "myapp", ...members]);
      assert.equal(r.code, 0, show(r));
      assert.equal(r.stdout, `HAPROXY-CLUSTER OK - myapp: 3/3 serving on 2 members | ${perf("m1", 3, 3, "100")} ${perf("m2", 3, 3, "100")}\n`);
      assert.equal(r.stderr, "");
    });

    it("adds the member legend as a second line with --verbose", async function () {
      const r = await runCli(["check", "--verbose", ...members]);
      assert.equal(r.code, 0, show(r));
      assert.equal(r.stdout.split("\n")[1], legend);
    });

    it("is WARNING when one member serves less than --warning percent", async function () {
      await lb2().runtime("set server myapp/server3 state maint");
      const r = await runCli(["check", ...members]);
      assert.equal(r.code, 1, show(r));
      assert.equal(r.stdout, `HAPROXY-CLUSTER WARNING - myapp: 2/3 serving (66.7%) on m2, 3/3 (100%) on m1 | ${perf("m1", 3, 3, "100")} ${perf("m2", 2, 3, "66.7")}\n${legend}\n`);
    });

    it("follows --warning and --critical", async function () {
      await lb2().runtime("set server myapp/server3 state maint");
      const r = await runCli(["check", "--backend", "myapp", "--warning", "60", "--critical", "40", ...members]);
      assert.equal(r.code, 0, show(r));
      assert.match(r.stdout, /^HAPROXY-CLUSTER OK - myapp: 2\/3 serving \(66\.7%\) on m2, 3\/3 \(100%\) on m1 \| .*'m2_myapp_serving_pct'=66\.7%;60:;40:;0;100 /);
    });

    it("is CRITICAL when one member serves less than --critical percent", async function () {
      await lb2().runtime("set server myapp/server2 state maint");
      await lb2().runtime("set server myapp/server3 state drain");
      const r = await runCli(["check", "--backend", "myapp", ...members]);
      assert.equal(r.code, 2, show(r));
      assert.equal(r.stdout, `HAPROXY-CLUSTER CRITICAL - myapp: 1/3 serving (33.3%) on m2, 3/3 (100%) on m1 | ${perf("m1", 3, 3, "100")} ${perf("m2", 1, 3, "33.3")}\n${legend}\n`);
    });

    it("is CRITICAL when a member has no server serving, whatever the thresholds", async function () {
      for (const s of ["server1", "server2", "server3"]) await lb2().runtime(`set server myapp/${s} state maint`);
      const r = await runCli(["check", "--warning", "0", "--critical", "0", ...members]);
      assert.equal(r.code, 2, show(r));
      assert.match(r.stdout, /^HAPROXY-CLUSTER CRITICAL - myapp: 0\/3 serving \(0%\) on m2, 3\/3 \(100%\) on m1 \| /);
    });

    it("is UNKNOWN when a member cannot be read, naming it in the line and on stderr", async function () {
      const dead = `http://127.0.0.1:${await refusedPort()}/stats`;
      const r = await runCli(["check", "--backend", "myapp", ...members, dead]);
      assert.equal(r.code, 3, show(r));
      const sentence = `${dead}: connection refused; is HAProxy running and is its stats page on this address?`;
      assert.equal(r.stdout, `HAPROXY-CLUSTER UNKNOWN - ${sentence} | ${perf("m1", 3, 3, "100")} ${perf("m2", 3, 3, "100")}\n${legend} m3=${dead}\n`);
      assert.equal(r.stderr, `${sentence}\n`);
    });

    it("is UNKNOWN for a backend a member does not have", async function () {
      const r = await runCli(["check", "--backend", "nosuch", members[0]!]);
      assert.equal(r.code, 3, show(r));
      assert.match(r.stdout, /^HAPROXY-CLUSTER UNKNOWN - unix:.*admin\.sock: .*nosuch.*\n/);
      assert.equal(r.stderr.split("\n").length, 2, "one line on stderr");
    });
  });
});
