// Bad arguments are the caller's, found before any member is asked: a members file that
// names no member never falls back to HAPROXY_CLUSTER_MEMBERS, and a name HAProxy cannot
// have is refused as a usage error naming the option, not blamed on the members.
import assert from "node:assert/strict";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import type { Cluster } from "../support/haproxy";
import { runCli, show, useTwoMemberCluster } from "./helpers";

/** A TCP member that counts the connections it is sent (and answers none). */
async function countingMember(): Promise<{ spec: string; connections: () => number; close: () => Promise<void> }> {
  let connections = 0;
  const server = net.createServer((socket) => {
    connections++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  return { spec: `tcp://127.0.0.1:${port}`, connections: () => connections, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe("arguments checked before any member is asked", function () {
  let cluster: Cluster;
  let members: string[];
  let dir: string;
  useTwoMemberCluster((started, specs) => {
    cluster = started;
    members = specs;
  });
  before(async function () {
    dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), "hc-arguments-"));
  });
  after(async function () {
    await fs.promises.rm(dir, { recursive: true, force: true });
  });

  const statusOn = async (server: string) => Promise.all(cluster.lbs.map(async (lb) => (await lb.stat("myapp", server)).status));

  for (const [what, text] of [
    ["empty", ""],
    ["comments only", "# lb1 and lb2 go here\n\n   # (generated)\n"],
  ] as const) {
    it(`refuses a --members-file that is ${what} with exit 3, never acting on HAPROXY_CLUSTER_MEMBERS`, async function () {
      const file = path.join(dir, `members-${what.replace(/ /g, "-")}.txt`);
      await fs.promises.writeFile(file, text);
      const r = await runCli(["drain", "--backend", "myapp", "--server", "server3", "--members-file", file], { env: { HAPROXY_CLUSTER_MEMBERS: members.join(",") } });
      assert.equal(r.code, 3, show(r));
      assert.equal(r.stderr, `--members-file ${file} names no member (it is empty or only comments); list the members in it, or drop the option.\n`);
      assert.deepEqual(await statusOn("server3"), ["UP", "UP"]);
    });
  }

  it("refuses a 20,000-character backend in status as the argument's fault, asking no member", async function () {
    const counting = await countingMember();
    try {
      const name = "x".repeat(20_000);
      const r = await runCli(["status", "--backend", name, ...members, counting.spec]);
      assert.equal(r.code, 3, show(r));
      assert.equal(
        r.stderr,
        `--backend "${"x".repeat(32)}"… (20000 characters) cannot be a backend name: a name this long does not fit in one HAProxy command (at most 4096 characters); check the spelling; run haproxy-cluster status --help for the usage.\n`,
      );
      assert.equal(r.stdout, "", "no table: no member was read");
      assert.equal(counting.connections(), 0, "no member was contacted");
    } finally {
      await counting.close();
    }
  });

  it("refuses a 20,000-character server in drain, and a name with a character HAProxy forbids, changing nothing", async function () {
    const counting = await countingMember();
    try {
      const long = await runCli(["drain", "--backend", "myapp", "--server", "s".repeat(20_000), ...members, counting.spec]);
      assert.equal(long.code, 3, show(long));
      assert.match(long.stderr, /^--server "s{32}"… \(20000 characters\) cannot be a server name: a name this long does not fit in one HAProxy command \(at most 4096 characters\); check the spelling; run haproxy-cluster drain --help for the usage\.\n$/);
      const slash = await runCli(["wait", "--backend", "my/app", "--timeout", "30", ...members, counting.spec]);
      assert.equal(slash.code, 3, show(slash));
      assert.match(slash.stderr, /^--backend "my\/app" cannot be a backend name: HAProxy names are not empty and use only letters, digits, "\.", "-", "_" and ":"; check the spelling; run haproxy-cluster wait --help for the usage\.\n$/);
      assert.equal(counting.connections(), 0, "no member was contacted");
      assert.deepEqual(await statusOn("server1"), ["UP", "UP"]);
    } finally {
      await counting.close();
    }
  });
});
