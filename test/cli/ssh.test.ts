// The CLI against real HAProxy reached over SSH: Debian's sshd on 127.0.0.1 with
// generated keys, the channel forwarded straight to each member's admin socket (or
// through socat where sshd refuses that), host keys checked against known_hosts.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { isHcError } from "../../provider/errors";
import { startAppServer } from "../support/app-server";
import { waitFor } from "../support/deadline";
import { Member } from "../../provider/model/member";
import type { Cluster } from "../support/haproxy";
import { makeSshKeys, staleAgentSocket, startSshAgent, startSshd, type SshAgent, type Sshd, type SshKeys } from "../support/sshd";
import { runCli, show, useTwoMemberCluster } from "./helpers";

describe("members over SSH", function () {
  this.timeout(120_000);
  let cluster: Cluster;
  let keys: SshKeys;
  let sshd: Sshd;
  let agent: SshAgent;
  let knownHosts: string;
  let hashedKnownHosts: string;
  useTwoMemberCluster((started) => (cluster = started));

  before(async function () {
    keys = await makeSshKeys();
    sshd = await startSshd({ keys });
    agent = await startSshAgent(keys.key);
    knownHosts = path.join(keys.dir, "known_hosts");
    hashedKnownHosts = path.join(keys.dir, "known_hosts.hashed");
    fs.writeFileSync(knownHosts, sshd.knownHosts);
    fs.writeFileSync(hashedKnownHosts, `# hashed, as HashKnownHosts yes writes it\n${sshd.hashedKnownHosts}`);
  });
  after(async function () {
    await agent?.stop();
    await sshd?.stop();
  });

  const sshMembers = (port = sshd.port, user = keys.user) => cluster.lbs.map((lb) => `ssh://${user}@127.0.0.1:${port}${lb.adminSocket}`);
  const statusOn = (server: string) => Promise.all(cluster.lbs.map(async (lb) => (await lb.stat("myapp", server)).status));
  /** With the agent's key: host key from the hashed known_hosts. */
  const agentArgs = () => ["--ssh-known-hosts", hashedKnownHosts];
  /** The key file, no agent, host key from the plain known_hosts. */
  const keyFile = { env: { SSH_AUTH_SOCK: "" } };
  const keyArgs = () => ["--ssh-identity", keys.key, "--ssh-known-hosts", knownHosts];

  it("reads status, check and eval over SSH with the agent's key, checking a hashed known_hosts entry", async function () {
    const env = { env: { SSH_AUTH_SOCK: agent.socket } };
    const status = await runCli(["status", "--backend", "myapp", ...agentArgs(), ...sshMembers()], env);
    assert.equal(status.code, 0, show(status));
    for (const member of sshMembers()) assert.ok(status.stdout.includes(member) || status.stderr.includes(member) || /m1/.test(status.stdout), show(status));
    assert.match(status.stdout, /server1/, show(status));
    const check = await runCli(["check", "--backend", "myapp", ...agentArgs(), ...sshMembers()], env);
    assert.equal(check.code, 0, show(check));
    assert.match(check.stdout, /^HAPROXY-CLUSTER OK - myapp: 3\/3 serving on 2 members/, show(check));
    const evaluated = await runCli(["eval", "return (await cluster.members[0].runtimeCommand('show info')).includes('Name: HAProxy')", ...agentArgs(), ...sshMembers()], env);
    assert.equal(evaluated.code, 0, show(evaluated));
  });

  it("drains with --wait, waits, puts back with ready --wait and sets a weight over SSH with a key file", async function () {
    const drain = await runCli(["drain", "--backend", "myapp", "--server", "server2", "--wait", ...keyArgs(), ...sshMembers()], keyFile);
    assert.equal(drain.code, 0, show(drain));
    assert.deepEqual(await statusOn("server2"), ["DRAIN", "DRAIN"]);
    const wait = await runCli(["wait", "--backend", "myapp", "--threshold", "60", "--min-checks", "1", "--interval", "0.2", "--timeout", "30", ...keyArgs(), ...sshMembers()], keyFile);
    assert.equal(wait.code, 0, show(wait));
    const ready = await runCli(["ready", "--backend", "myapp", "--server", "server2", "--wait", "--timeout", "60", ...keyArgs(), ...sshMembers()], keyFile);
    assert.equal(ready.code, 0, show(ready));
    assert.deepEqual(await statusOn("server2"), ["UP", "UP"]);
    const weight = await runCli(["weight", "--backend", "myapp", "--server", "server3", "--weight", "7", ...keyArgs(), ...sshMembers()], keyFile);
    assert.equal(weight.code, 0, show(weight));
    for (const lb of cluster.lbs) assert.equal((await lb.stat("myapp", "server3")).weight, "7");
  });

  it("adds a server on every member over SSH, serving on fresh checks, and removes it again leaving no trace", async function () {
    const app = await startAppServer({ name: "new-ssh" });
    try {
      const address = `127.0.0.1:${app.port}`;
      const add = await runCli(["add-server", "--backend", "myapp", "--server", "new-ssh", "--address", address, "--check-interval", "200", "--wait", "--timeout", "30", ...keyArgs(), ...sshMembers()], keyFile);
      assert.equal(add.code, 0, show(add));
      assert.deepEqual(await statusOn("new-ssh"), ["UP", "UP"]);
      const remove = await runCli(["remove-server", "--backend", "myapp", "--server", "new-ssh", ...keyArgs(), ...sshMembers()], keyFile);
      assert.equal(remove.code, 0, show(remove));
      for (const lb of cluster.lbs) assert.ok(!(await lb.runtime("show servers state myapp")).split("\n").some((l) => l.split(" ")[3] === "new-ssh"), `no trace on ${lb.name}`);
    } finally {
      await app.stop();
    }
  });

  it("logs in with an encrypted key whose passphrase comes from a file, and goes through a jump host", async function () {
    const passphraseFile = path.join(keys.dir, "passphrase");
    fs.writeFileSync(passphraseFile, `${keys.passphrase}\n`, { mode: 0o600 });
    // Two logins per member with a key to decrypt (bcrypt) are slow on a loaded machine: a
    // generous request deadline (20 s ran out with the whole matrix running side by side).
    const env = { env: { SSH_AUTH_SOCK: "", HAPROXY_CLUSTER_SSH_PASSPHRASE_FILE: passphraseFile }, timeoutMs: 90_000 };
    const r = await runCli(["check", "--backend", "myapp", "--ssh-identity", keys.encryptedKey, "--ssh-known-hosts", knownHosts, "--ssh-jump", `${keys.user}@127.0.0.1:${sshd.port}`, "--request-timeout", "40", ...sshMembers()], env);
    assert.equal(r.code, 0, show(r));
    assert.doesNotMatch(r.stdout + r.stderr, new RegExp(keys.passphrase));
  });

  it("keeps one SSH connection per member for every command of a process, and reopens a dropped one once", async function () {
    // An sshd of its own: logins are counted in sshd's kept log tail, which the shared
    // sshd's earlier logins would fill.
    const own = await startSshd({ keys });
    const ownKnownHosts = path.join(keys.dir, "known_hosts.own");
    fs.writeFileSync(ownKnownHosts, own.knownHosts);
    const member = new Member(sshMembers(own.port)[0]!, { sshIdentityFile: keys.key, sshKnownHostsFile: ownKnownHosts, sshAgent: false });
    try {
      for (let i = 0; i < 5; i++) await member.snapshot({ backend: "myapp" });
      await member.drain("myapp", "server1");
      await member.ready("myapp", "server1");
      // sshd's log reaches us through a pipe: wait until it shows the login, then count.
      const logged = (count: number) => waitFor(`sshd to log ${count} login(s)`, () => (own.logins() >= count ? true : undefined));
      await logged(1);
      assert.equal(own.logins(), 1, "one login for 7 snapshots and 2 changes");
      await own.dropSessions();
      await member.snapshot({ backend: "myapp" });
      await logged(2);
      assert.equal(own.logins(), 2, "the dropped connection was reopened once");
    } finally {
      await member.close();
      await own.stop();
    }
  });

  describe("refusals: a typed error naming the member, exit 3, nothing changed", function () {
    /** Runs drain over `members` and checks exit 3, the sentence, and that server1 stayed UP everywhere. */
    async function refused(args: string[], env: Record<string, string>, sentence: RegExp, members = sshMembers()): Promise<void> {
      const r = await runCli(["drain", "--backend", "myapp", "--server", "server1", ...args, ...members], { env, timeoutMs: 90_000 });
      assert.equal(r.code, 3, show(r));
      assert.match(r.stderr, sentence, show(r));
      assert.ok(members.some((m) => r.stderr.includes(m)), `the error names the member\n${show(r)}`);
      assert.doesNotMatch(r.stderr, /^\s+at |Unhandled/m, `no stack trace\n${show(r)}`);
      assert.deepEqual(await statusOn("server1"), ["UP", "UP"]);
    }
    /** The library's code for the same member and options. */
    async function codeOf(spec: string, options: ConstructorParameters<typeof Member>[1]): Promise<string> {
      const member = new Member(spec, options);
      try {
        await member.snapshot({ backend: "myapp" });
        return "no error";
      } catch (error) {
        assert.ok(isHcError(error), String(error));
        assert.ok(error.message.startsWith(spec) || error.message.includes(spec), error.message);
        return error.code;
      } finally {
        await member.close();
      }
    }
    const noAgent = { SSH_AUTH_SOCK: "" };

    it("an unknown host key, naming its SHA256 fingerprint; accepted only with the loudly named flag", async function () {
      const empty = path.join(keys.dir, "known_hosts.empty");
      fs.writeFileSync(empty, "");
      await refused(["--ssh-identity", keys.key, "--ssh-known-hosts", empty], noAgent, /not in .*known_hosts\.empty \(it shows SHA256:[A-Za-z0-9+/]{43}\)/);
      assert.equal(await codeOf(sshMembers()[0]!, { sshIdentityFile: keys.key, sshKnownHostsFile: empty, sshAgent: false }), "HC_HOST_KEY");
      const r = await runCli(["check", "--backend", "myapp", "--ssh-identity", keys.key, "--ssh-known-hosts", empty, "--dangerously-accept-unknown-host-key", ...sshMembers()], { env: noAgent });
      assert.equal(r.code, 0, show(r));
    });

    it("a changed host key", async function () {
      const other = await startSshd({ keys });
      try {
        const changed = path.join(keys.dir, "known_hosts.changed");
        fs.writeFileSync(changed, other.knownHosts.replace(`:${other.port}`, `:${sshd.port}`));
        await refused(["--ssh-identity", keys.key, "--ssh-known-hosts", changed], noAgent, /host key of 127\.0\.0\.1:\d+ does not match .* \(it shows SHA256:/);
        assert.equal(await codeOf(sshMembers()[0]!, { sshIdentityFile: keys.key, sshKnownHostsFile: changed, sshAgent: false }), "HC_HOST_KEY");
      } finally {
        await other.stop();
      }
    });

    it("a changed host key ends wait at once and, next to a healthy member, drain advises no --force (it would drain only the other member)", async function () {
      const other = await startSshd({ keys });
      try {
        const changed = path.join(keys.dir, "known_hosts.changed-wait");
        fs.writeFileSync(changed, other.knownHosts.replace(`:${other.port}`, `:${sshd.port}`));
        const args = ["--ssh-identity", keys.key, "--ssh-known-hosts", changed];
        const [overSsh] = sshMembers();
        const deadlineSeconds = 60;
        const wait = await runCli(["wait", "--backend", "myapp", "--interval", "0.2", "--timeout", String(deadlineSeconds), ...args, ...sshMembers()], { env: noAgent, timeoutMs: 120_000 });
        assert.equal(wait.code, 3, show(wait));
        // Refused on the first poll: no progress line, no deadline message, well before the deadline.
        assert.doesNotMatch(wait.stderr, /^poll \d|gave up waiting/m, show(wait));
        assert.ok(wait.ms < (deadlineSeconds * 1000) / 2, `wait ended after ${wait.ms} ms, deadline ${deadlineSeconds} s`);
        assert.match(wait.stderr, /host key of 127\.0\.0\.1:\d+ does not match .* \(it shows SHA256:/, show(wait));
        assert.ok(wait.stderr.includes(overSsh!), show(wait));

        const mixed = [overSsh!, `unix:${cluster.lbs[1]!.adminSocket}`];
        const drain = await runCli(["drain", "--backend", "myapp", "--server", "server1", ...args, ...mixed], { env: noAgent, timeoutMs: 90_000 });
        assert.equal(drain.code, 3, show(drain));
        assert.ok(drain.stderr.startsWith(`refusing to take myapp/server1 out: cannot check capacity on ${overSsh}`), show(drain));
        assert.match(drain.stderr, /does not match .*; check the host key as said; nothing can change on that member until known_hosts vouches for it\.\n$/, show(drain));
        assert.doesNotMatch(drain.stderr, /force/, show(drain));
        assert.deepEqual(await statusOn("server1"), ["UP", "UP"]);
      } finally {
        await other.stop();
      }
    });

    it("a wrong user and a key the server refuses", async function () {
      await refused(keyArgs(), noAgent, /refused user nosuchuser with every key offered/, sshMembers(sshd.port, "nosuchuser"));
      await refused(["--ssh-identity", keys.strangerKey, "--ssh-known-hosts", knownHosts], noAgent, /refused user \w+ with every key offered/);
      assert.equal(await codeOf(sshMembers()[0]!, { sshIdentityFile: keys.strangerKey, sshKnownHostsFile: knownHosts, sshAgent: false }), "HC_AUTH_FAILED");
    });

    it("an SSH agent socket that is missing or stale, with no key file: HC_AUTH_FAILED naming the socket, not a crash", async function () {
      const missing = path.join(keys.dir, "no-agent.sock");
      const stale = await staleAgentSocket();
      const cases: Array<[string, RegExp]> = [
        [missing, /cannot log in to 127\.0\.0\.1:\d+: the SSH agent socket \S+no-agent\.sock does not exist; start an agent and add a key \(ssh-add\), point SSH_AUTH_SOCK at a running one, or give a key file/],
        [stale, /cannot log in to 127\.0\.0\.1:\d+: nothing listens on the SSH agent socket \S+agent\.sock \(a stale socket, as tmux or screen keep after the agent ended\); start an agent/],
      ];
      for (const [socket, sentence] of cases) {
        await refused(["--ssh-known-hosts", knownHosts], { SSH_AUTH_SOCK: socket }, sentence);
        // The library: a rejected promise with the code, and the process lives on.
        assert.equal(await codeOf(sshMembers()[0]!, { sshAgent: socket, sshKnownHostsFile: knownHosts }), "HC_AUTH_FAILED");
      }
      // With a key file as well, the key logs in: a dead agent is no reason to fail.
      const r = await runCli(["check", "--backend", "myapp", ...keyArgs(), ...sshMembers()], { env: { SSH_AUTH_SOCK: stale } });
      assert.equal(r.code, 0, show(r));
    });

    it("sshd down", async function () {
      const gone = await startSshd({ keys });
      const port = gone.port;
      await gone.stop();
      await refused(keyArgs(), noAgent, /connection refused at 127\.0\.0\.1:\d+; is sshd running there/, sshMembers(port));
    });

    it("the socket path missing on the far side", async function () {
      const members = cluster.lbs.map((lb) => `ssh://${keys.user}@127.0.0.1:${sshd.port}${lb.dir}/no-such.sock`);
      await refused([...keyArgs(), "--request-timeout", "30"], noAgent, /no-such\.sock/, members);
      assert.equal(await codeOf(members[0]!, { sshIdentityFile: keys.key, sshKnownHostsFile: knownHosts, sshAgent: false, timeoutSeconds: 30 }), "HC_MEMBER_UNREACHABLE");
    });

    it("streamlocal forwarding disabled: works through socat, and says so when socat is missing there", async function () {
      const noForwarding = await startSshd({ keys, streamLocal: false });
      const noSocat = await startSshd({ keys, streamLocal: false, sessionPath: "/nonexistent" });
      try {
        const file = path.join(keys.dir, "known_hosts.more");
        fs.writeFileSync(file, noForwarding.knownHosts + noSocat.knownHosts);
        // Each exec session is slow to start on a loaded machine: a generous request deadline.
        const args = ["--ssh-identity", keys.key, "--ssh-known-hosts", file, "--request-timeout", "40"];
        const viaSocat = await runCli(["check", "--backend", "myapp", ...args, ...sshMembers(noForwarding.port)], { env: noAgent, timeoutMs: 90_000 });
        assert.equal(viaSocat.code, 0, show(viaSocat));
        await refused(args, noAgent, /socat is not installed there/, sshMembers(noSocat.port));
      } finally {
        await Promise.all([noForwarding.stop(), noSocat.stop()]);
      }
    });
  });
});
