// The SSH byte pipe (ssh2): one SSH connection per member per process, a channel per
// command. The channel goes straight to the unix socket (`direct-streamlocal@openssh.com`,
// what `ssh -L local:/remote.sock` uses); where sshd refuses that, `socat` runs over an
// exec channel instead. A connection that dropped is reopened once.

import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { Duplex } from "node:stream";
import type { Client, ClientChannel } from "ssh2";
import { HcError } from "../../errors";
import type { MemberTarget, SshSecrets, TransportOptions } from "../../member/spec";
import { fingerprint, keysFor, knownHostsName, verifyHostKey, type KnownKey } from "./known-hosts";
import type { BytePipe } from "../pipe";
import { describeKeys, readAuthentication, type SshAuth } from "./auth";
import { collect, ExecPipe, shellQuote } from "./exec-pipe";
import { handshake, type Hop, type Login } from "./handshake";

interface Connection {
  client: Client;
  closed: boolean;
  /** Closes the jump host's connection too. */
  end(): void;
}

export class SshPipe implements BytePipe {
  private readonly member: string;
  #connection?: Promise<Connection>;
  /** Learnt once per process: sshd refuses streamlocal forwarding, so use socat over exec. */
  #useSocat = false;
  #socatChecked = false;
  #streamLocalRefusal = "";
  #auth?: SshAuth;
  readonly #secrets?: SshSecrets;

  constructor(
    private readonly target: MemberTarget,
    private readonly options: TransportOptions,
    secrets?: SshSecrets,
  ) {
    this.member = target.name;
    this.#secrets = secrets;
  }

  async open(timeoutMs: number): Promise<Duplex> {
    for (let attempt = 1; ; attempt++) {
      const connection = await this.connection(timeoutMs);
      try {
        return await this.channel(connection, timeoutMs);
      } catch (error) {
        // A connection that dropped since the last command is reopened once. ssh2 may say
        // "Not connected" before its "close" event has marked the connection closed.
        const dropped = connection.closed || /^Not connected$/.test((error as Error)?.message ?? "");
        if (error instanceof HcError || attempt > 1 || !dropped) throw this.channelError(error);
        // Marked closed, connection() replaces it once, however many commands were in flight.
        if (!connection.closed) {
          connection.closed = true;
          connection.end();
        }
      }
    }
  }

  async close(): Promise<void> {
    const pending = this.#connection;
    this.#connection = undefined;
    if (pending) await pending.then((c) => c.end(), () => undefined);
  }

  private connection(timeoutMs: number): Promise<Connection> {
    const current = this.#connection;
    if (current) {
      return current.then((c) => {
        if (!c.closed) return c;
        if (this.#connection === current) this.#connection = undefined;
        return this.connection(timeoutMs);
      });
    }
    const opening = this.connect(timeoutMs);
    this.#connection = opening;
    opening.catch(() => {
      if (this.#connection === opening) this.#connection = undefined;
    });
    return opening;
  }

  private async connect(timeoutMs: number): Promise<Connection> {
    const login = this.login();
    const target: Hop = { host: this.target.host!, port: this.target.port!, user: this.target.user!, label: this.member };
    const jumpSpec = this.options.sshJump;
    if (!jumpSpec) {
      const client = await handshake(login, target, timeoutMs);
      return track(client, () => client.end());
    }
    const jumpHop = parseJump(jumpSpec, this.member, target.user);
    const jump = await handshake(login, jumpHop, timeoutMs);
    try {
      // A fresh channel for each attempt: a handshake the target's sshd dropped is tried again.
      const throughJump = () =>
        new Promise<ClientChannel>((resolve, reject) => {
          jump.forwardOut("127.0.0.1", 0, target.host, target.port, (error, stream) => (error ? reject(error) : resolve(stream)));
        });
      const client = await handshake(login, target, timeoutMs, throughJump);
      const connection = track(client, () => {
        client.end();
        jump.end();
      });
      jump.on("close", () => {
        connection.closed = true;
      });
      return connection;
    } catch (error) {
      jump.end();
      if (error instanceof HcError) throw error;
      throw new HcError("HC_MEMBER_UNREACHABLE", `${this.member}: the jump host ${jumpHop.label} could not reach ${target.host}:${target.port} (${(error as Error).message}); check the address from the jump host.`, { member: this.member }, { cause: error });
    }
  }

  private hostKeyRefusal(hop: Hop, known: readonly KnownKey[], key: Buffer): HcError | undefined {
    const verdict = verifyHostKey(known, key);
    if (verdict.kind === "trusted") return undefined;
    if (verdict.kind === "unknown" && this.options.dangerouslyAcceptUnknownHostKey) return undefined;
    const print = fingerprint(key);
    const where = this.knownHostsPlace();
    const text = {
      unknown: `the SSH host key of ${hop.host}:${hop.port} is not in ${where} (it shows ${print}); check that fingerprint with the host's administrator, then add the key (ssh-keyscan -p ${hop.port} ${hop.host} >> ~/.ssh/known_hosts).`,
      changed: `the SSH host key of ${hop.host}:${hop.port} does not match ${where} (it shows ${print}); someone may be intercepting the connection, or the host was reinstalled: check before updating known_hosts.`,
      revoked: `the SSH host key of ${hop.host}:${hop.port} is marked @revoked in ${where} (${print}); refusing to connect.`,
    }[verdict.kind];
    return new HcError("HC_HOST_KEY", `${hop.label}: ${text}`, { member: this.member, host: hop.host, port: hop.port, fingerprint: print, verdict: verdict.kind });
  }

  /** Opens the channel that carries one command to the Runtime API socket. */
  private async channel(connection: Connection, timeoutMs: number): Promise<Duplex> {
    const socketPath = this.target.path!;
    if (!this.#useSocat) {
      try {
        return await withDeadline(
          new Promise<ClientChannel>((resolve, reject) => connection.client.openssh_forwardOutStreamLocal(socketPath, (error, stream) => (error ? reject(error) : resolve(stream)))),
          timeoutMs,
          () => this.commandTimeout(timeoutMs),
        );
      } catch (error) {
        // OpenSSH answers "open failed" both when streamlocal forwarding is off and when
        // nothing listens at the path: socat tells the two apart (and works in the first case).
        if (typeof (error as { reason?: number }).reason !== "number") throw error;
        this.#useSocat = true;
        this.#streamLocalRefusal = (error as Error).message.replace(/^\(SSH\) /, "");
      }
    }
    if (!this.#socatChecked) {
      // Bounded as a whole: a session that never reports its end would otherwise hold the command.
      const found = await withDeadline(this.exec(connection, "command -v socat", timeoutMs).then(collect), timeoutMs, () => this.commandTimeout(timeoutMs));
      if (found.code !== 0) {
        throw new HcError("HC_MEMBER_UNREACHABLE", `${this.member}: sshd on ${this.target.host} did not forward to ${socketPath} (${this.#streamLocalRefusal}: streamlocal forwarding is off, or no socket is there) and socat is not installed there to try another way; check the path, and install socat on the load balancer (apt-get install socat) or allow AllowStreamLocalForwarding for ${this.target.user}.`, { member: this.member });
      }
      this.#socatChecked = true;
    }
    const seconds = Math.ceil(timeoutMs / 1000);
    return new ExecPipe(this.member, socketPath, await this.exec(connection, `socat -t ${seconds} STDIO UNIX-CONNECT:${shellQuote(socketPath)}`, timeoutMs));
  }

  private exec(connection: Connection, command: string, timeoutMs: number): Promise<ClientChannel> {
    return withDeadline(
      new Promise<ClientChannel>((resolve, reject) => connection.client.exec(command, (error, stream) => (error ? reject(error) : resolve(stream)))),
      timeoutMs,
      () => this.commandTimeout(timeoutMs),
    );
  }

  private commandTimeout(timeoutMs: number): HcError {
    return new HcError("HC_MEMBER_TIMEOUT", `${this.member}: sshd did not open a channel within ${timeoutMs / 1000} s; check the load balancer, or raise the timeout.`, { member: this.member });
  }

  private channelError(error: unknown): HcError {
    if (error instanceof HcError) return error;
    const e = error as Error & { reason?: number };
    const socketPath = this.target.path!;
    if (typeof e.reason === "number") {
      // sshd answers "open failed" when it cannot connect to the socket on its side.
      return new HcError("HC_MEMBER_UNREACHABLE", `${this.member}: sshd on ${this.target.host} could not open ${socketPath} (${e.message.replace(/^\(SSH\) /, "")}); check the path (stats socket in haproxy.cfg), that HAProxy runs, and that ${this.target.user} may open the socket.`, { member: this.member, reason: e.reason }, { cause: error });
    }
    return new HcError("HC_MEMBER_UNREACHABLE", `${this.member}: the SSH connection failed (${e.message}); check the host, or try again.`, { member: this.member }, { cause: error });
  }

  /** What every handshake of this member needs; the key is read once per member, decrypted once per process. */
  private login(): Login {
    this.#auth ??= readAuthentication(this.member, this.options, this.#secrets);
    const knownHosts = this.knownHostsText();
    return {
      member: this.member,
      auth: this.#auth,
      keysOffered: describeKeys(this.options, this.#secrets),
      knownKeys: (hop) => keysFor(knownHosts, knownHostsName(hop.host, hop.port)),
      refuseHostKey: (hop, known, key) => this.hostKeyRefusal(hop, known, key),
    };
  }

  private knownHostsText(): string {
    if (this.options.sshKnownHosts !== undefined) return this.options.sshKnownHosts;
    const file = this.knownHostsPlace();
    try {
      return fs.readFileSync(file, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT" && this.options.sshKnownHostsFile === undefined) return "";
      throw new HcError("HC_BAD_SPEC", `${this.member}: cannot read the known_hosts file ${file} (${(error as NodeJS.ErrnoException).code ?? "error"}); check the path (--ssh-known-hosts).`, { member: this.member });
    }
  }

  private knownHostsPlace(): string {
    if (this.options.sshKnownHosts !== undefined) return "the known hosts given in options";
    return this.options.sshKnownHostsFile ?? path.join(os.homedir(), ".ssh", "known_hosts");
  }
}

/** `[user@]host[:port]`, like ssh's ProxyJump. */
function parseJump(spec: string, member: string, defaultUser: string): Hop {
  const m = /^(?:([^@\s]+)@)?(\[[^\]]+\]|[^:\s@]+)(?::(\d+))?$/.exec(spec.trim());
  if (!m) throw new HcError("HC_BAD_SPEC", `${member}: the jump host ${JSON.stringify(spec)} is not [user@]host[:port]; fix --ssh-jump or sshJump.`, { member });
  const host = m[2]!.replace(/^\[(.*)\]$/, "$1");
  const port = m[3] ? Number(m[3]) : 22;
  const user = m[1] ?? defaultUser;
  return { host, port, user, label: `${member} (jump host ${user}@${host}:${port})` };
}

function track(client: Client, end: () => void): Connection {
  const connection: Connection = { client, closed: false, end };
  client.on("close", () => {
    connection.closed = true;
  });
  return connection;
}

function withDeadline<T>(promise: Promise<T>, timeoutMs: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(onTimeout()), timeoutMs)))]).finally(() => clearTimeout(timer));
}
