// Many members behind one sshd that keeps OpenSSH's default MaxStartups (10:30:100), as
// several HAProxy instances on one host, or behind one address, are: the transport bounds
// its handshakes per sshd, and tries again a handshake the server dropped before it began.
import assert from "node:assert/strict";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { Cluster as ClusterOfMembers } from "../../provider/cluster/cluster";
import { Member } from "../../provider/model/member";
import { HANDSHAKES_PER_SSH_ENDPOINT } from "../../provider/transport/ssh/handshake-slots";
import { waitFor } from "../support/deadline";
import { kdfCount, kdfCountEnv } from "../support/kdf-count";
import { startCluster, type Cluster } from "../support/haproxy";
import { makeSshKeys, startSshd, type Sshd, type SshKeys } from "../support/sshd";
import { runCli, show } from "./helpers";

const MEMBERS = 20;

describe("SSH members behind one sshd with OpenSSH's default MaxStartups", function () {
  this.timeout(180_000);
  let cluster: Cluster;
  let keys: SshKeys;
  let sshd: Sshd;
  let knownHosts: string;

  before(async function () {
    // Slow checks: 20 members checking 2 servers need not load the machine.
    cluster = await startCluster({ members: MEMBERS, servers: 2, check: { interMs: 1000, rise: 1 }, upTimeoutMs: 30_000 });
    keys = await makeSshKeys();
    sshd = await startSshd({ keys });
    knownHosts = path.join(keys.dir, "known_hosts");
    fs.writeFileSync(knownHosts, sshd.knownHosts);
  });
  after(async function () {
    await sshd?.stop();
    await cluster?.stop();
  });

  it(`checks ${MEMBERS} members over one sshd, three runs in a row, every one of them read`, async function () {
    const members = cluster.lbs.map((lb) => `ssh://${keys.user}@127.0.0.1:${sshd.port}${lb.adminSocket}`);
    // A long request deadline: the members queue for 8 handshake slots, which a loaded
    // machine makes slow, and how long that takes is not what this tests (every member
    // read is). The tries again of a dropped handshake are bounded by their number (4,
    // about 1.5 s in all), not by the deadline, so it changes nothing else.
    for (let run = 1; run <= 3; run++) {
      const r = await runCli(["check", "--backend", "myapp", "--ssh-identity", keys.key, "--ssh-known-hosts", knownHosts, "--request-timeout", "60", ...members], { env: { SSH_AUTH_SOCK: "" }, timeoutMs: 150_000 });
      assert.equal(r.code, 0, `run ${run}: ${show(r)}`);
      assert.match(r.stdout, new RegExp(`^HAPROXY-CLUSTER OK - myapp: 2/2 serving on ${MEMBERS} members`), `run ${run}: ${show(r)}`);
    }
  });

  it(`logs in to ${MEMBERS} members with one encrypted key, decrypting it once in the process, not per member or per connection`, async function () {
    // Counted, not timed: decrypting the key (bcrypt) takes a second or two of CPU, which a
    // loaded machine stretches past any deadline; how long the check takes is for bench/.
    const members = cluster.lbs.map((lb) => `ssh://${keys.user}@127.0.0.1:${sshd.port}${lb.adminSocket}`);
    const passphraseFile = path.join(keys.dir, "passphrase.fleet");
    fs.writeFileSync(passphraseFile, `${keys.passphrase}\n`, { mode: 0o600 });
    const countFile = path.join(keys.dir, "kdf-count.fleet");
    const r = await runCli(["check", "--backend", "myapp", "--ssh-identity", keys.encryptedKey, "--ssh-known-hosts", knownHosts, "--request-timeout", "60", ...members], {
      env: { SSH_AUTH_SOCK: "", HAPROXY_CLUSTER_SSH_PASSPHRASE_FILE: passphraseFile, ...kdfCountEnv(countFile) },
      timeoutMs: 150_000,
    });
    assert.equal(r.code, 0, show(r));
    assert.match(r.stdout, new RegExp(`^HAPROXY-CLUSTER OK - myapp: 2/2 serving on ${MEMBERS} members`), show(r));
    assert.equal(kdfCount(countFile), 1, `the key was decrypted ${kdfCount(countFile)} times for ${MEMBERS} members`);
  });

  it("tries again a handshake that sshd dropped before it began (MaxStartups full), and succeeds once there is room", async function () {
    // sshd of its own that drops every new connection while 3 are unauthenticated.
    const full = await startSshd({ keys, maxStartups: "3" });
    const fullKnownHosts = path.join(keys.dir, "known_hosts.full");
    fs.writeFileSync(fullKnownHosts, full.knownHosts);
    // Three connections that never log in hold every start-up slot (each has had its banner, so sshd counts it).
    const idle = await Promise.all([1, 2, 3].map(() => bannerReceived(full.port)));
    const member = new Member(`ssh://${keys.user}@127.0.0.1:${full.port}${cluster.lbs[0]!.adminSocket}`, { sshIdentityFile: keys.key, sshKnownHostsFile: fullKnownHosts, sshAgent: false, timeoutSeconds: 30 });
    try {
      const reading = member.snapshot({ backend: "myapp" });
      reading.catch(() => undefined); // awaited below
      await waitFor("sshd to drop the member's first connection past MaxStartups", () => (full.droppedForMaxStartups() ? true : undefined), { intervalMs: 10 });
      for (const socket of idle) socket.destroy();
      const snapshot = await reading;
      assert.equal(snapshot.backend("myapp").servers.size, 2);
    } finally {
      for (const socket of idle) socket.destroy();
      await member.close();
      await full.stop();
    }
  });
  it(`opens at most ${HANDSHAKES_PER_SSH_ENDPOINT} handshakes at a time to one sshd, the others waiting for a slot, and reads all ${MEMBERS}`, async function () {
    // A relay that holds every connection before sshd's banner: no handshake can finish,
    // so no slot comes back, and every connection the transport opens meanwhile is one
    // more handshake in flight. Without the slots all ${MEMBERS} arrive at once.
    const relay = await holdingRelay(sshd.port);
    const relayHosts = path.join(keys.dir, "known_hosts.holding");
    fs.writeFileSync(relayHosts, `[127.0.0.1]:${relay.port} ${sshd.hostKey}\n`);
    const members = cluster.lbs.map((lb) => `ssh://${keys.user}@127.0.0.1:${relay.port}${lb.adminSocket}`);
    const fleet = new ClusterOfMembers(members, { sshIdentityFile: keys.key, sshKnownHostsFile: relayHosts, sshAgent: false, timeoutSeconds: 60 });
    try {
      const reading = fleet.snapshot({ backend: "myapp" });
      reading.catch(() => undefined); // awaited below
      await waitFor(`${HANDSHAKES_PER_SSH_ENDPOINT} connections held at the relay`, (note) => {
        note(`${relay.held()} held`);
        return relay.held() >= HANDSHAKES_PER_SSH_ENDPOINT ? true : undefined;
      }, { timeoutMs: 30_000, intervalMs: 10 });
      // The others must be waiting for a slot, not on their way: while every slot is held
      // none may arrive (without the slots the rest come within milliseconds of the first).
      const watchedUntil = Date.now() + 500;
      while (Date.now() < watchedUntil) {
        assert.equal(relay.held(), HANDSHAKES_PER_SSH_ENDPOINT, "handshakes in flight to one sshd");
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      relay.release();
      const snapshot = await reading;
      assert.deepEqual([...snapshot.errors.keys()], [], "every member read");
      assert.equal(snapshot.snapshots.size, MEMBERS);
      assert.equal(relay.connections(), MEMBERS, "one connection per member, none tried again");
    } finally {
      await fleet.close();
      await relay.close();
    }
  });

  it("never tries again a refused host key or a refused key: one connection each, and the code says which", async function () {
    const other = await startSshd({ keys });
    const relay = await countingRelay(sshd.port);
    try {
      const at = `[127.0.0.1]:${relay.port}`;
      const changedHosts = path.join(keys.dir, "known_hosts.relay-changed");
      fs.writeFileSync(changedHosts, `${at} ${other.hostKey}\n`);
      const relayHosts = path.join(keys.dir, "known_hosts.relay");
      fs.writeFileSync(relayHosts, `${at} ${sshd.hostKey}\n`);
      const spec = `ssh://${keys.user}@127.0.0.1:${relay.port}${cluster.lbs[0]!.adminSocket}`;
      const cases: Array<[string, ConstructorParameters<typeof Member>[1]]> = [
        ["HC_HOST_KEY", { sshIdentityFile: keys.key, sshKnownHostsFile: changedHosts, sshAgent: false }],
        ["HC_AUTH_FAILED", { sshIdentityFile: keys.strangerKey, sshKnownHostsFile: relayHosts, sshAgent: false }],
      ];
      for (const [code, options] of cases) {
        const before = relay.connections();
        const member = new Member(spec, options);
        try {
          await assert.rejects(member.snapshot({ backend: "myapp" }), (error: { code?: string }) => error.code === code);
        } finally {
          await member.close();
        }
        assert.equal(relay.connections() - before, 1, `${code}: one connection, no retry`);
      }
    } finally {
      await relay.close();
      await other.stop();
    }
  });
});

/** A TCP relay to sshd on 127.0.0.1 that counts the connections made through it. */
async function countingRelay(port: number): Promise<{ port: number; connections(): number; close(): Promise<void> }> {
  let count = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((inbound) => {
    count++;
    const outbound = net.connect({ host: "127.0.0.1", port });
    for (const s of [inbound, outbound]) {
      sockets.add(s);
      s.on("error", () => undefined); // either side may reset; the other is destroyed with it
      s.once("close", () => {
        sockets.delete(s);
        inbound.destroy();
        outbound.destroy();
      });
    }
    inbound.pipe(outbound).pipe(inbound);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    connections: () => count,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * A TCP relay to sshd on 127.0.0.1 that holds each connection, unconnected, until
 * `release()`; after that it relays as countingRelay does.
 */
async function holdingRelay(port: number): Promise<{ port: number; held(): number; connections(): number; release(): void; close(): Promise<void> }> {
  let count = 0;
  let released = false;
  const waiting: net.Socket[] = [];
  const sockets = new Set<net.Socket>();
  const relay = (inbound: net.Socket) => {
    const outbound = net.connect({ host: "127.0.0.1", port });
    sockets.add(outbound);
    outbound.on("error", () => undefined);
    outbound.once("close", () => inbound.destroy());
    inbound.once("close", () => outbound.destroy());
    inbound.pipe(outbound).pipe(inbound);
  };
  const server = net.createServer((inbound) => {
    count++;
    sockets.add(inbound);
    inbound.on("error", () => undefined);
    inbound.once("close", () => sockets.delete(inbound));
    if (released) relay(inbound);
    else waiting.push(inbound);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    held: () => waiting.filter((s) => !s.destroyed).length,
    connections: () => count,
    release: () => {
      released = true;
      for (const inbound of waiting.splice(0)) if (!inbound.destroyed) relay(inbound);
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A TCP connection to sshd that has read the banner and sends nothing: unauthenticated until LoginGraceTime. */
function bannerReceived(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    socket.once("data", () => resolve(socket));
    socket.once("error", reject);
  });
}
