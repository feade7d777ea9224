// Debian's OpenSSH server as an ordinary process on 127.0.0.1 for the SSH transport's
// tests: generated host and client keys, an authorized_keys file, known_hosts files (plain
// and hashed), an ssh-agent holding a key. Each process is stopped by PID.
import { execFile } from "node:child_process";
import { createHmac, randomBytes } from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { OwnedChild, pidAlive } from "./child";
import { GiveUp, waitFor } from "./deadline";
import { freePort } from "./ports";
import { removeDir, trackDir, trackStop } from "./registry";

const run = promisify(execFile);
const SSHD = "/usr/sbin/sshd";
const STOP_GRACE_MS = 5_000;

export interface SshKeys {
  dir: string;
  /** A key in authorized_keys, without passphrase. */
  key: string;
  /** A key in authorized_keys, encrypted with `passphrase`. */
  encryptedKey: string;
  passphrase: string;
  /** A key the server does not know. */
  strangerKey: string;
  /** The user sshd lets in: whoever runs the tests. */
  user: string;
}

export interface Sshd {
  readonly pid: number;
  readonly port: number;
  readonly dir: string;
  /** The host key's public line, `ssh-ed25519 AAAA…`. */
  readonly hostKey: string;
  /** known_hosts with `[127.0.0.1]:port` in plain text. */
  readonly knownHosts: string;
  /** The same entry hashed (`|1|salt|hmac`), as HashKnownHosts writes it. */
  readonly hashedKnownHosts: string;
  /** Successful logins so far (sshd's "Accepted publickey" lines). */
  logins(): number;
  /** Whether sshd has dropped a new connection for MaxStartups (it logs the first of a spell at INFO). */
  droppedForMaxStartups(): boolean;
  /** Ends every SSH connection (kills sshd's per-connection processes by PID); sshd keeps listening. */
  dropSessions(): Promise<void>;
  stop(): Promise<void>;
}

export interface SshdOptions {
  keys: SshKeys;
  /** AllowStreamLocalForwarding. Default true. */
  streamLocal?: boolean;
  /** PATH in sessions (SetEnv), e.g. to hide socat. Default: sshd's own. */
  sessionPath?: string;
  /** MaxStartups, e.g. "3" to drop every new connection while 3 are unauthenticated. Default: OpenSSH's (10:30:100). */
  maxStartups?: string;
}

/** Client keys for every sshd of a test file. */
export async function makeSshKeys(): Promise<SshKeys> {
  const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), "ssh-keys-"));
  trackDir(dir);
  const passphrase = `pass-${randomBytes(6).toString("hex")}`;
  const keygen = (name: string, pass: string) => run("ssh-keygen", ["-q", "-t", "ed25519", "-N", pass, "-C", name, "-f", path.join(dir, name)]);
  await Promise.all([keygen("id_plain", ""), keygen("id_encrypted", passphrase), keygen("id_stranger", "")]);
  return {
    dir,
    key: path.join(dir, "id_plain"),
    encryptedKey: path.join(dir, "id_encrypted"),
    passphrase,
    strangerKey: path.join(dir, "id_stranger"),
    user: os.userInfo().username,
  };
}

export async function startSshd(options: SshdOptions): Promise<Sshd> {
  const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), "sshd-rig-"));
  trackDir(dir);
  // sshd refuses to start without its privilege separation directory.
  await fs.promises.mkdir("/run/sshd", { recursive: true, mode: 0o755 }).catch(() => undefined);
  const hostKeyPath = path.join(dir, "host_ed25519");
  await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", hostKeyPath]);
  const authorized = await Promise.all([options.keys.key, options.keys.encryptedKey].map((k) => fs.promises.readFile(`${k}.pub`, "utf8")));
  await fs.promises.writeFile(path.join(dir, "authorized_keys"), authorized.join(""), { mode: 0o600 });
  const port = await freePort();
  const config = [
    "ListenAddress 127.0.0.1",
    `Port ${port}`,
    `HostKey ${hostKeyPath}`,
    `PidFile ${dir}/sshd.pid`,
    `AuthorizedKeysFile ${dir}/authorized_keys`,
    "StrictModes no",
    "UsePAM no",
    "PasswordAuthentication no",
    "KbdInteractiveAuthentication no",
    "PubkeyAuthentication yes",
    "PermitRootLogin prohibit-password",
    "AllowTcpForwarding yes",
    `AllowStreamLocalForwarding ${options.streamLocal === false ? "no" : "yes"}`,
    ...(options.sessionPath ? [`SetEnv PATH=${options.sessionPath}`] : []),
    // Left out, OpenSSH's default 10:30:100 applies, as on a real load balancer: members
    // behind one sshd must cope with it (the transport bounds its handshakes per sshd).
    ...(options.maxStartups ? [`MaxStartups ${options.maxStartups}`] : []),
    // INFO logs "Accepted publickey" (counted by logins()) and little else: the kept log tail holds many logins.
    "LogLevel INFO",
    "",
  ].join("\n");
  const configPath = path.join(dir, "sshd_config");
  await fs.promises.writeFile(configPath, config);
  const child = new OwnedChild("sshd", SSHD, ["-D", "-e", "-f", configPath]);
  const stop = async (): Promise<void> => {
    untrack();
    await child.stop("SIGTERM", STOP_GRACE_MS);
    await removeDir(dir);
  };
  const untrack = trackStop(`sshd on port ${port}`, stop);
  try {
    await waitFor(`sshd on 127.0.0.1:${port} to send its banner`, async () => {
      if (child.hasExited()) throw new GiveUp(`sshd exited during start-up: ${child.describe()}`);
      return (await banner(port)).startsWith("SSH-2.0") ? true : undefined;
    });
  } catch (error) {
    await stop();
    throw error;
  }
  const hostKey = (await fs.promises.readFile(`${hostKeyPath}.pub`, "utf8")).trim().split(" ").slice(0, 2).join(" ");
  const name = `[127.0.0.1]:${port}`;
  const salt = randomBytes(20);
  const hashed = `|1|${salt.toString("base64")}|${createHmac("sha1", salt).update(name).digest("base64")}`;
  return {
    pid: child.pid,
    port,
    dir,
    hostKey,
    knownHosts: `${name} ${hostKey}\n`,
    hashedKnownHosts: `${hashed} ${hostKey}\n`,
    logins: () => (child.describe().match(/Accepted publickey for/g) ?? []).length,
    droppedForMaxStartups: () => /past MaxStartups/.test(child.describe()),
    async dropSessions() {
      const { stdout } = await run("pgrep", ["-P", String(child.pid)]).catch(() => ({ stdout: "" }));
      const pids = stdout.split("\n").filter(Boolean).map(Number);
      for (const pid of pids) process.kill(pid, "SIGTERM");
      await waitFor("sshd's connection processes to end", () => (pids.every((pid) => !pidAlive(pid)) ? true : undefined));
    },
    stop,
  };
}

export interface SshAgent {
  readonly socket: string;
  stop(): Promise<void>;
}

/** ssh-agent in the foreground on a socket of its own, holding `keyPath`. */
export async function startSshAgent(keyPath: string): Promise<SshAgent> {
  const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), "ssh-agent-rig-"));
  trackDir(dir);
  const socket = path.join(dir, "agent.sock");
  const child = new OwnedChild("ssh-agent", "ssh-agent", ["-D", "-a", socket]);
  const stop = async (): Promise<void> => {
    untrack();
    await child.stop("SIGTERM", STOP_GRACE_MS);
    await removeDir(dir);
  };
  const untrack = trackStop("ssh-agent", stop);
  try {
    await waitFor(`ssh-agent to listen on ${socket}`, () => {
      if (child.hasExited()) throw new GiveUp(`ssh-agent exited: ${child.describe()}`);
      return fs.existsSync(socket) ? true : undefined;
    });
    await run("ssh-add", ["-q", keyPath], { env: { ...process.env, SSH_AUTH_SOCK: socket } });
  } catch (error) {
    await stop();
    throw error;
  }
  return { socket, stop };
}

/**
 * A socket file nobody listens on, as SSH_AUTH_SOCK names inside a tmux or screen session
 * that outlived its agent: an ssh-agent started on it, then killed without a chance to
 * remove it.
 */
export async function staleAgentSocket(): Promise<string> {
  const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), "ssh-agent-stale-"));
  trackDir(dir);
  const socket = path.join(dir, "agent.sock");
  const child = new OwnedChild("ssh-agent (to leave a stale socket)", "ssh-agent", ["-D", "-a", socket]);
  try {
    await waitFor(`ssh-agent to listen on ${socket}`, () => {
      if (child.hasExited()) throw new GiveUp(`ssh-agent exited: ${child.describe()}`);
      return fs.existsSync(socket) ? true : undefined;
    });
  } finally {
    await child.stop("SIGKILL", STOP_GRACE_MS);
  }
  if (!fs.statSync(socket).isSocket()) throw new Error(`${socket} is gone after killing ssh-agent`);
  return socket;
}

/** The first bytes sshd sends, or "" if it does not answer yet. */
function banner(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    const done = (text: string) => {
      socket.destroy();
      resolve(text);
    };
    socket.setTimeout(1000, () => done(""));
    socket.once("data", (data) => done(data.toString()));
    socket.once("error", () => done(""));
  });
}
