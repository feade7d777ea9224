// Every way a member can fail gives a typed error: a code to branch on, one sentence
// naming the member and what to do, and never a password.

import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import * as util from "node:util";
import { Cluster as LibraryCluster } from "../../provider/cluster/cluster";
import { ERROR_CODES, exitStatusFor } from "../../provider/error-codes";
import { HcError, HcPartialFailure } from "../../provider/errors";
import { checkMemberOptions, type MemberOptionsInput } from "../../provider/member/options";
import { Member } from "../../provider/model/member";
import { startCluster, startHaproxy, type Cluster, type HaproxyInstance } from "../support/haproxy";
import { refusedPort, startBlackhole, startHtmlServer, startLoginFormServer, startStaticServer, startTruncatedCsvServer } from "../support/fake-members";
import { memberSpec } from "../support/member-specs";

const SECRET = "pa55-Very-Secret-9";
const FIXTURE_CSV = fs.readFileSync(path.resolve(__dirname, "../../../../shared/fixtures/haproxy-2.6/lb1-http-stats.csv"), "utf8");

async function rejectsWith(promise: Promise<unknown>, code: string, member: string, pattern?: RegExp): Promise<HcError> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof HcError, `expected an HcError ${code}, got ${caught === undefined ? "success" : String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  assert.ok(caught.message.includes(member), `the message names the member ${member}: ${caught.message}`);
  assert.ok(!caught.message.includes(SECRET), "no password in the message");
  assert.ok(!caught.message.includes("\n"), "one sentence, one line");
  if (pattern) assert.match(caught.message, pattern);
  return caught;
}

describe("member errors", function () {
  describe("unreachable and misbehaving peers", function () {
    it("reports a refused connection on each transport as unreachable", async function () {
      const port = await refusedPort();
      await rejectsWith(new Member(`http://127.0.0.1:${port}/stats`).snapshot(), "HC_MEMBER_UNREACHABLE", `http://127.0.0.1:${port}/stats`, /refused/);
      await rejectsWith(new Member(`tcp://127.0.0.1:${port}`).snapshot(), "HC_MEMBER_UNREACHABLE", `tcp://127.0.0.1:${port}`, /refused/);
      await rejectsWith(new Member("/nonexistent/haproxy.sock").snapshot(), "HC_MEMBER_UNREACHABLE", "unix:/nonexistent/haproxy.sock", /does not exist/);
    });

    it("gives up on a server that accepts and never answers, at the deadline", async function () {
      const hole = await startBlackhole();
      try {
        const started = Date.now();
        await rejectsWith(new Member(hole.url, { timeoutSeconds: 0.5 }).snapshot(), "HC_MEMBER_TIMEOUT", hole.url, /0\.5 s/);
        assert.ok(Date.now() - started < 3000, "the deadline was kept");
      } finally {
        await hole.close();
      }
    });

    it("rejects an HTML page and a login form instead of returning an empty cluster", async function () {
      for (const start of [startHtmlServer, startLoginFormServer]) {
        const fake = await start();
        try {
          await rejectsWith(new Member(fake.url).snapshot(), "HC_BAD_STATS", fake.url);
        } finally {
          await fake.close();
        }
      }
    });

    it("rejects a CSV cut off by a closed connection, and one cut mid-line", async function () {
      const cut = await startTruncatedCsvServer(FIXTURE_CSV);
      try {
        await rejectsWith(new Member(cut.url).snapshot(), "HC_BAD_STATS", cut.url, /truncated/);
      } finally {
        await cut.close();
      }
      const half = await startStaticServer(FIXTURE_CSV.slice(0, Math.floor(FIXTURE_CSV.length / 2)));
      try {
        await rejectsWith(new Member(half.url).snapshot(), "HC_BAD_STATS", half.url, /truncated/);
      } finally {
        await half.close();
      }
    });

    it("rejects an empty answer (what HAProxy gives right after a reload)", async function () {
      const empty = await startStaticServer("");
      try {
        await rejectsWith(new Member(empty.url).snapshot(), "HC_BAD_STATS", empty.url, /empty/);
      } finally {
        await empty.close();
      }
    });

    it("refuses an answer larger than the size limit", async function () {
      const big = await startStaticServer(FIXTURE_CSV);
      try {
        await rejectsWith(new Member(big.url, { maxResponseBytes: 1000 }).snapshot(), "HC_TOO_LARGE", big.url);
      } finally {
        await big.close();
      }
    });
  });

  describe("against real HAProxy", function () {
    let cluster: Cluster;
    let lb: HaproxyInstance;
    let noAdmin: HaproxyInstance;

    before(async function () {
      cluster = await startCluster({ members: 1, servers: 2 });
      lb = cluster.lbs[0]!;
      const servers = cluster.apps.map((a) => ({ name: a.name, port: a.port }));
      noAdmin = await startHaproxy({ name: "noadmin", backends: [{ name: "myapp", servers }], statsAdmin: false, statsAuth: { user: "admin", password: SECRET } });
    });
    after(async function () {
      await noAdmin?.stop();
      await cluster?.stop();
    });

    it("reports a wrong password as an authentication failure without printing either password", async function () {
      const url = lb.statsUrl.replace("http://", `http://admin:${SECRET}@`);
      const member = new Member(url);
      const error = await rejectsWith(member.snapshot(), "HC_AUTH_FAILED", lb.statsUrl, /401/);
      assert.ok(!JSON.stringify(error.toJSON()).includes(SECRET));
    });

    it("reads credentials from the environment when the URL has none", async function () {
      const saved = { user: process.env.HAPROXY_CLUSTER_USER, password: process.env.HAPROXY_CLUSTER_PASSWORD };
      process.env.HAPROXY_CLUSTER_USER = lb.statsAuth!.user;
      process.env.HAPROXY_CLUSTER_PASSWORD = lb.statsAuth!.password;
      try {
        const snap = await new Member(lb.statsUrl).snapshot();
        assert.equal(snap.backend("myapp").servers.size, 2);
      } finally {
        for (const [k, v] of [["HAPROXY_CLUSTER_USER", saved.user], ["HAPROXY_CLUSTER_PASSWORD", saved.password]] as const) {
          if (v === undefined) delete process.env[k];
          else process.env[k] = v;
        }
      }
    });

    it("refuses an action over a Runtime API socket below level admin", async function () {
      await rejectsWith(new Member(lb.userSocket).drain("myapp", "server1"), "HC_NOT_ADMIN", `unix:${lb.userSocket}`, /level admin/);
      const s = (await new Member(lb.adminSocket).snapshot({ backend: "myapp" })).backend("myapp").server("server1");
      assert.equal(s.admin, "ready", "nothing changed");
    });

    it("refuses an action on a stats page without `stats admin`", async function () {
      const spec = noAdmin.statsUrl.replace("http://", `http://admin:${SECRET}@`);
      await rejectsWith(new Member(spec).drain("myapp", "server1"), "HC_NOT_ADMIN", noAdmin.statsUrl, /stats admin/);
    });

    for (const kind of ["http", "unix", "tcp"] as const) {
      it(`refuses an unknown backend or server over ${kind} before changing anything`, async function () {
        const member = new Member(memberSpec(lb, kind));
        await rejectsWith(member.drain("nosuch", "server1"), "HC_UNKNOWN_BACKEND", member.name, /nosuch/);
        await rejectsWith(member.snapshot({ backend: "nosuch" }), "HC_UNKNOWN_BACKEND", member.name);
        // HAProxy itself would drain server1 and answer PART: checking names first prevents that.
        await rejectsWith(member.drain("myapp", ["server1", "nosuch"]), "HC_UNKNOWN_SERVER", member.name, /nosuch/);
        const s = (await member.snapshot({ backend: "myapp" })).backend("myapp").server("server1");
        assert.equal(s.admin, "ready", "server1 was not drained");
        await member.close();
      });
    }

    it("calls a bug a bug: a TypeError while working on a member is HC_INTERNAL (please report, original message kept), a raw network error stays unreachable", async function () {
      const member = `unix:${lb.adminSocket}`;
      const cluster = new LibraryCluster([member]);
      try {
        const bug = await cluster.map(async (m) => ((await m.snapshot({ backend: "myapp" })) as unknown as { nosuch: { x: number } }).nosuch.x).catch((e: unknown) => e);
        assert.ok(bug instanceof HcPartialFailure, String(bug));
        const error = bug.failures.get(member)!;
        assert.equal(error.code, "HC_INTERNAL", error.message);
        assert.equal(error.message, `${member}: internal error (TypeError: Cannot read properties of undefined (reading 'x')); this is a bug in haproxy-cluster, not a problem with the member: please report it with this message.`);
        assert.ok(error.cause instanceof TypeError);
        assert.equal(exitStatusFor(error), 3);

        const port = await refusedPort();
        const network = await cluster.map(() => new Promise((resolve, reject) => net.connect(port, "127.0.0.1", () => resolve(undefined)).once("error", reject))).catch((e: unknown) => e);
        assert.ok(network instanceof HcPartialFailure, String(network));
        assert.equal(network.failures.get(member)!.code, "HC_MEMBER_UNREACHABLE");
        assert.match(network.failures.get(member)!.message, /ECONNREFUSED/);
      } finally {
        await cluster.close();
      }
    });

    it("never shows the password in toString, inspect, JSON or errors of a member", async function () {
      const spec = lb.statsUrl.replace("http://", `http://admin:${SECRET}@`);
      const member = new Member(spec);
      for (const text of [String(member), util.inspect(member, { showHidden: true, depth: 10 }), JSON.stringify({ member }), member.name]) {
        assert.ok(!text.includes(SECRET), text);
      }
      const error = await member.drain("nosuch", "x").catch((e: unknown) => e);
      assert.ok(error instanceof HcError);
      assert.ok(!util.inspect(error, { depth: 10 }).includes(SECRET));
      await member.close();
    });
  });

  describe("the table of codes", function () {
    it("advises force only where force helps: the capacity guard's count, never a member that cannot be read", function () {
      for (const [code, info] of Object.entries(ERROR_CODES)) {
        if (code === "HC_CAPACITY_GUARD") assert.match(info.guardAdvice!, /--force/);
        else assert.doesNotMatch(info.guardAdvice ?? "", /force/, code);
      }
    });

    it("ends a wait at once on what waiting cannot cure (names, credentials, host keys, bugs) and retries what a reload or a busy member explains", function () {
      const final = Object.entries(ERROR_CODES).filter(([, info]) => info.duringWait === "final").map(([code]) => code);
      for (const code of ["HC_HOST_KEY", "HC_AUTH_FAILED", "HC_NOT_ADMIN", "HC_UNKNOWN_BACKEND", "HC_UNKNOWN_SERVER", "HC_BAD_SPEC", "HC_INTERNAL"]) assert.ok(final.includes(code), code);
      for (const code of ["HC_MEMBER_UNREACHABLE", "HC_MEMBER_TIMEOUT", "HC_BAD_STATS"]) assert.ok(!final.includes(code), code);
    });
  });

  describe("member specs", function () {
    it("names members by their whole spec, so two instances on one host stay apart", function () {
      assert.equal(new Member("http://u:p@lb1:8080/stats").name, "http://lb1:8080/stats");
      assert.equal(new Member("http://lb1:8081/stats;csv").name, "http://lb1:8081/stats");
      assert.equal(new Member("/run/haproxy/admin.sock").name, "unix:/run/haproxy/admin.sock");
      assert.equal(new Member("unix:/run/haproxy/admin.sock").name, "unix:/run/haproxy/admin.sock");
      assert.equal(new Member("tcp://10.0.0.1:9999").name, "tcp://10.0.0.1:9999");
      assert.equal(new Member("file:/tmp/x.csv").name, "file:/tmp/x.csv");
    });

    it("rejects specs it cannot use with a clear sentence", function () {
      for (const spec of ["", "ftp://x/y", "tcp://host", "relative.sock", "unix:relative.sock", "ssh://lb1/run/a%zz.sock", "ssh://de%zzploy@lb1/run/a.sock"]) {
        assert.throws(() => new Member(spec), (e: unknown) => e instanceof HcError && e.code === "HC_BAD_SPEC");
      }
      assert.throws(() => new Member("http://lb1/stats", { timeoutSeconds: -1 }), /timeoutSeconds/);
    });

    it("checks member options where they enter: one sentence per broken rule, never a secret's value, defaults applied", function () {
      const refused = (options: unknown, says: RegExp): void =>
        assert.throws(() => new Member("http://lb1/stats", options as MemberOptionsInput), (e: unknown) => e instanceof HcError && e.code === "HC_BAD_SPEC" && says.test(e.message) && e.message.startsWith("http://lb1/stats: invalid member options ("));
      refused({ requestTimeoutSeconds: 0 }, /requestTimeoutSeconds must be a number of seconds above 0 and at most 3600, not 0/);
      refused({ requestTimeoutSeconds: 3601 }, /not 3601/);
      // The old name is still taken, under the same rule; both at once must agree.
      refused({ timeoutSeconds: 0 }, /timeoutSeconds must be a number of seconds above 0 and at most 3600, not 0/);
      refused({ timeoutSeconds: 2, requestTimeoutSeconds: 3 }, /give requestTimeoutSeconds only: timeoutSeconds is its old name, and the two differ/);
      refused({ timeoutSeconds: Number.POSITIVE_INFINITY }, /timeoutSeconds must be/);
      refused({ maxResponseBytes: 1.5 }, /maxResponseBytes must be a whole number of bytes above 0, not 1\.5/);
      refused({ dangerouslySkipTlsVerify: "yes" }, /dangerouslySkipTlsVerify must be true or false, not a string/);
      refused({ sshAgent: true }, /sshAgent must be a socket path or false, not true/);
      refused({ sshIdentityFile: "" }, /sshIdentityFile must be a non-empty string/);
      refused({ timeout: 5, passwd: "x" }, /timeout is not an option \(known: username, password, requestTimeoutSeconds, timeoutSeconds.*\); passwd is not an option/);
      refused("fast", /options must be an object such as \{ requestTimeoutSeconds: 10 \}, not a string/);
      // A password of the wrong type is named by its type, never shown.
      assert.throws(() => new Member("http://lb1/stats", { password: 123456789 as unknown as string }), (e: unknown) => e instanceof Error && /password must be a string, not number/.test(e.message) && !e.message.includes("123456789"));
      assert.deepEqual(checkMemberOptions(undefined), { options: { requestTimeoutSeconds: 5, maxResponseBytes: 64 * 1024 * 1024, dangerouslySkipTlsVerify: false, dangerouslyAcceptUnknownHostKey: false } });
      assert.deepEqual(checkMemberOptions({ requestTimeoutSeconds: 2, sshAgent: false }), {
        options: { requestTimeoutSeconds: 2, sshAgent: false, maxResponseBytes: 64 * 1024 * 1024, dangerouslySkipTlsVerify: false, dangerouslyAcceptUnknownHostKey: false },
      });
      assert.deepEqual(checkMemberOptions({ timeoutSeconds: 2 }), {
        options: { requestTimeoutSeconds: 2, maxResponseBytes: 64 * 1024 * 1024, dangerouslySkipTlsVerify: false, dangerouslyAcceptUnknownHostKey: false },
      });
    });

    it("reads a saved CSV file as a read-only member", async function () {
      const file = path.resolve(__dirname, "../../../../shared/fixtures/haproxy-2.6/lb1-show-stat.csv");
      const member = new Member(`file:${file}`);
      const snap = await member.snapshot();
      assert.deepEqual([...snap.backend("myapp").servers.keys()], ["server1", "server2", "server3"]);
      await rejectsWith(member.drain("myapp", "server1"), "HC_READ_ONLY", member.name);
    });
  });
});
