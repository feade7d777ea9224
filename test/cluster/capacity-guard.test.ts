// The capacity guard on every way in (library, ServerDrain, CLI drain and maint,
// host-wide drain): the same refusal, word for word, and nothing changed anywhere.
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Cluster } from "../../provider/cluster/cluster";
import { applyServerAction } from "../../provider/cluster/actions";
import { isHcError } from "../../provider/errors";
import { serverDrain } from "../../provider/pulumi/impl";
import { runCli, show, startCli, useTwoMemberCluster, type RunningCli } from "../cli/helpers";
import { countingProxy, type CountingProxy } from "../support/counting-proxy";
import { waitFor } from "../support/deadline";
import { deadSocket, refusedPort, startHtmlServer } from "../support/fake-members";
import type { Cluster as Rig } from "../support/haproxy";
import { literally } from "../support/regexp";

describe("the capacity guard on every way in", function () {
  let rig: Rig;
  let members: string[];
  useTwoMemberCluster((started, specs) => {
    rig = started;
    members = specs;
  });

  const statuses = async () => Promise.all(rig.lbs.flatMap((lb) => rig.apps.map(async (app) => `${lb.name}/${app.name}=${(await lb.stat("myapp", app.name)).status}`)));
  async function refusal(promise: Promise<unknown>): Promise<Error & { code?: string }> {
    try {
      await promise;
    } catch (error) {
      return error as Error & { code?: string };
    }
    assert.fail("expected a refusal");
  }
  /** The error line the CLI printed (without its `haproxy-cluster: ` style prefix, if any). */
  const cliMessage = (stderr: string) => stderr.trim().split("\n").at(-1)!.replace(/^.*?(refusing)/, "$1");

  it("refuses to drain the last serving server of a backend with one message, whichever way it is asked, and changes nothing", async function () {
    // On lb2, server1 is the only server left serving.
    await rig.lbs[1]!.runtime("set server myapp/server2 state maint");
    await rig.lbs[1]!.runtime("set server myapp/server3 state maint");
    const before = await statuses();
    const expected = `refusing to take myapp/server1 out: on ${members[1]} only 0 other server(s) would keep serving, below minOtherServing 1; wait for the backend to recover, or set force (--force on the command line) to take them out anyway.`;

    const cluster = new Cluster(members);
    try {
      const library = await refusal(applyServerAction(cluster, "myapp", "server1", "drain"));
      assert.ok(isHcError(library, "HC_CAPACITY_GUARD"), String(library));
      assert.equal(library.message, expected);
    } finally {
      await cluster.close();
    }

    const resource = await refusal(serverDrain.create({ members, backend: "myapp", server: "server1" }));
    assert.equal(resource.code, "HC_CAPACITY_GUARD");
    assert.equal(resource.message, expected);

    for (const args of [
      ["drain", "--backend", "myapp", "--server", "server1"],
      ["maint", "--backend", "myapp", "--server", "server1"],
      ["drain", "--host", "server1"],
    ]) {
      const r = await runCli([...args, ...members]);
      assert.equal(r.code, 2, show(r));
      assert.equal(cliMessage(r.stderr), expected, show(r));
    }
    assert.deepEqual(await statuses(), before, "nothing changed on any way in");
  });

  it("counts every server taken out at once, honours --min-other-serving, and lets --force through", async function () {
    const two = await runCli(["drain", "--backend", "myapp", "--server", "server1", "--server", "server2", "--min-other-serving", "2", ...members]);
    assert.equal(two.code, 2, show(two));
    assert.match(two.stderr, /refusing to take myapp\/server1,server2 out: on \S+ only 1 other server\(s\) would keep serving, below minOtherServing 2/);
    const ok = await runCli(["drain", "--backend", "myapp", "--server", "server1", "--server", "server2", ...members]);
    assert.equal(ok.code, 0, show(ok));
    const last = await runCli(["maint", "--backend", "myapp", "--server", "server3", ...members]);
    assert.equal(last.code, 2, show(last));
    const forced = await runCli(["maint", "--backend", "myapp", "--server", "server3", "--force", ...members]);
    assert.equal(forced.code, 0, show(forced));
    assert.deepEqual((await statuses()).filter((s) => s.endsWith("server3=MAINT")).length, 2);
  });

  it("guards removals started together in one process in turn: of three drains at once (three resources, say), the last is refused and a server keeps serving", async function () {
    // Each its own Cluster, as each Pulumi resource has; all asked before any is written.
    const clusters = ["server1", "server2", "server3"].map(() => new Cluster(members));
    try {
      const outcomes = await Promise.allSettled(["server1", "server2", "server3"].map((server, i) => applyServerAction(clusters[i]!, "myapp", server, "drain")));
      const refused = outcomes.flatMap((o, i) => (o.status === "rejected" ? [[`server${i + 1}`, o.reason as Error & { code?: string }] as const] : []));
      assert.equal(refused.length, 1, outcomes.map((o) => (o.status === "rejected" ? (o.reason as Error).message : "drained")).join("\n"));
      const [server, error] = refused[0]!;
      assert.equal(error.code, "HC_CAPACITY_GUARD", error.message);
      assert.match(error.message, new RegExp(`refusing to take myapp/${server} out: on \\S+ only 0 other server\\(s\\) would keep serving`));
      for (const lb of rig.lbs) assert.equal((await lb.stat("myapp", server)).status, "UP", `${server} on ${lb.name}`);
    } finally {
      await Promise.all(clusters.map((c) => c.close()));
    }
  });

  it("fails closed when a member cannot be read: nothing changes on the members that answered", async function () {
    const dead = `tcp://127.0.0.1:${await refusedPort()}`;
    const before = await statuses();
    const r = await runCli(["drain", "--backend", "myapp", "--server", "server1", ...members, dead]);
    assert.equal(r.code, 3, show(r));
    // Leaving a dead member out helps (the guard still runs on the others); --force would skip the guard everywhere.
    assert.match(r.stderr, new RegExp(`refusing to take myapp/server1 out: cannot check capacity on ${dead.replace(/[.]/g, "\\.")} \\(.*\\); fix the member and try again; if it is out of service, leave it out of the members to act on the others\\.\n$`));
    assert.deepEqual(await statuses(), before);
  });

  it("never advises --force for a member it cannot read (a dead socket, a page that is not HAProxy): force could not change that member, only drain the others", async function () {
    const page = await startHtmlServer();
    try {
      for (const [member, code, said] of [
        [`unix:${await deadSocket()}`, "HC_MEMBER_UNREACHABLE", /connection refused/],
        [page.url, "HC_BAD_STATS", /an HTML page, not statistics CSV/],
      ] as const) {
        const before = await statuses();
        const r = await runCli(["drain", "--backend", "myapp", "--server", "server1", ...members, member]);
        assert.equal(r.code, 3, show(r));
        assert.ok(r.stderr.startsWith(`refusing to take myapp/server1 out: cannot check capacity on ${member} (${member}: `), show(r));
        assert.match(r.stderr, said, show(r));
        assert.doesNotMatch(r.stderr, /force/, show(r));
        assert.deepEqual(await statuses(), before, "nothing changed on the members that answered");

        const cluster = new Cluster([...members, member]);
        try {
          const library = await refusal(applyServerAction(cluster, "myapp", "server1", "drain"));
          assert.ok(isHcError(library, code), String(library));
          assert.equal(library.details.member, member);
          assert.doesNotMatch(library.message, /force/);
        } finally {
          await cluster.close();
        }
      }
    } finally {
      await page.close();
    }
  });

  it("names a bad argument as a usage error (exit 3), not as a member that cannot be reached", async function () {
    const space = await runCli(["drain", "--backend", "my app", "--server", "server1", ...members]);
    assert.equal(space.code, 3, show(space));
    assert.equal(space.stderr.trim(), `--backend "my app" cannot be a backend name: HAProxy names are not empty and use only letters, digits, ".", "-", "_" and ":"; check the spelling; run haproxy-cluster drain --help for the usage.`);

    const cluster = new Cluster(members);
    try {
      const weight = await refusal(applyServerAction(cluster, "myapp", "server1", "weight", { weight: 999 }));
      assert.ok(isHcError(weight, "HC_BAD_SPEC"), String(weight));
      assert.match(weight.message, /weight must be a whole number from 0 to 256, or a percentage from 0% to 100%, not 999\./);
      const read = await cluster.snapshot({ backend: "my app" });
      assert.deepEqual([...read.errors.values()].map((e) => e.code), ["HC_BAD_SPEC", "HC_BAD_SPEC"]);
    } finally {
      await cluster.close();
    }
    const status = await runCli(["status", "--backend", "my app", ...members]);
    assert.equal(status.code, 3, show(status));
    assert.doesNotMatch(status.stderr, /unreachable|connection refused/i);
  });

  describe("two commands at once on one machine", function () {
    // lb1 behind a proxy that can hold a command unsent: the first drain's write waits
    // there while the second starts. --min-other-serving 2 of 3 servers: one drain passes
    // the guard, and a second one that sees it out may not.
    const drain = (server: string, specs: string[]) => ["drain", "--backend", "myapp", "--server", server, "--min-other-serving", "2", "--request-timeout", "60", ...specs];
    /** lb1 behind the proxy, the first drain (of server1) started and its write to lb1 held there; the proxy closed after `use`. */
    async function withFirstDrainHeld(use: (held: { proxy: CountingProxy; specs: string[]; first: RunningCli; release(): void }) => Promise<void>): Promise<void> {
      const proxy = await countingProxy(rig.lbs[0]!.adminSocket);
      const specs = [proxy.spec, members[1]!];
      try {
        const hold = proxy.holdNext(/^set server myapp\/server1 state drain$/);
        let arrived = false;
        void hold.arrived.then(() => (arrived = true));
        const first = startCli(drain("server1", specs));
        await waitFor("the first drain's write to lb1", () => (arrived ? true : undefined), { timeoutMs: 30_000, intervalMs: 10 });
        await use({ proxy, specs, first, release: hold.release });
      } finally {
        await proxy.close();
      }
    }

    it("take turns: the second waits for the first's write and read back, then its guard sees that server out and refuses", async function () {
      await withFirstDrainHeld(async ({ proxy, specs, first, release }) => {
        const sentBefore = proxy.commands().length;
        const second = startCli(drain("server2", specs));
        // With turns the second says it waits and sends lb1 nothing; without, it reads lb1
        // while the first's write is held there, sees three serving, and passes.
        const seen = await Promise.race([
          second.stderrMatch(/waiting for process \d+, which is taking servers out of myapp on /, 30_000).then(() => "waits"),
          waitFor("the second drain to read lb1", () => (proxy.commands().length > sentBefore ? "read lb1 during the first's turn" : undefined), { timeoutMs: 30_000, intervalMs: 10 }),
        ]);
        assert.equal(seen, "waits", `the second drain ${seen}: ${proxy.commands().slice(sentBefore).join("; ")}`);
        assert.equal(proxy.commands().length, sentBefore, "nothing sent to lb1 by the second drain while the first holds its turn");
        release();
        const [a, b] = await Promise.all([first.result, second.result]);
        assert.equal(a.code, 0, show(a));
        assert.equal(b.code, 2, show(b));
        assert.match(b.stderr, new RegExp(`refusing to take myapp/server2 out: on ${literally(proxy.spec)} only 1 other server\\(s\\) would keep serving, below minOtherServing 2`), show(b));
        for (const lb of rig.lbs) {
          assert.equal((await lb.stat("myapp", "server1")).status, "DRAIN");
          assert.equal((await lb.stat("myapp", "server2")).status, "UP");
        }
      });
    });

    it("never use a turns folder that others may write to: the drain says so and goes on, guarding alone", async function () {
      const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "hc-turns-open-"));
      try {
        const open = path.join(tmp, `haproxy-cluster-turns-${process.getuid!()}`);
        fs.mkdirSync(open);
        fs.chmodSync(open, 0o777);
        const r = await runCli(["drain", "--backend", "myapp", "--server", "server2", ...members], { env: { TMPDIR: tmp } });
        assert.equal(r.code, 0, show(r));
        assert.match(r.stderr, new RegExp(`not taking turns with other processes of this machine: ${literally(open)} is not a folder of this user's alone`), show(r));
        assert.deepEqual(fs.readdirSync(open), [], "no turn written there");
      } finally {
        fs.rmSync(tmp, { recursive: true, force: true });
      }
    });

    it("take over a turn whose process was killed in it: the next drain neither waits for it nor is refused by it", async function () {
      await withFirstDrainHeld(async ({ specs, first }) => {
        // SIGKILL: no exit handler runs, so its turn's file stays behind, naming a dead process.
        first.kill("SIGKILL");
        assert.equal((await first.result).signal, "SIGKILL");
        // Default guard (1 other): server1 is drained on lb2 by the killed one, server3 serves.
        const next = await runCli(["drain", "--backend", "myapp", "--server", "server2", "--request-timeout", "60", ...specs], { timeoutMs: 20_000 });
        assert.equal(next.code, 0, show(next));
        assert.doesNotMatch(next.stderr, /waiting for process/, show(next));
      });
    });
  });
});
