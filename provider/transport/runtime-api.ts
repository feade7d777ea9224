// HAProxy's Runtime API over a unix or TCP socket: one command per connection (HAProxy
// answers, then closes), every reply checked, HAProxy's error sentences mapped to codes.

import * as net from "node:net";
import { StringDecoder } from "node:string_decoder";
import { HcError, type HcErrorCode } from "../errors";
import type { TransportOptions, MemberTarget } from "../member/spec";
import { StatsCsvParser, type StatsTable } from "../stats/csv";
import { parseShowInfo } from "./process-identity";
import { formatWeight, typeMask, type ProcessIdentity, type ServerStateAction, type StatsQuery, type Transport, type Weight } from "./types";

/** HAProxy's Runtime API error sentences (src/cli.c, src/server.c, src/proxy.c) and what they mean. */
const KNOWN_REPLIES: ReadonlyArray<{ match: RegExp; code: HcErrorCode; advice: string }> = [
  { match: /^Permission denied/, code: "HC_NOT_ADMIN", advice: "the socket is not at level admin; use a `stats socket … level admin` socket" },
  { match: /^No such backend\./, code: "HC_UNKNOWN_BACKEND", advice: "check the backend name" },
  { match: /^No such proxy\./, code: "HC_UNKNOWN_BACKEND", advice: "check the proxy name" },
  { match: /^No such server\./, code: "HC_UNKNOWN_SERVER", advice: "check the server name" },
  { match: /^Unknown command/, code: "HC_ACTION_REFUSED", advice: "this HAProxy does not know the command; it may be too old" },
];

/** Escapes what the CLI parser treats specially in an argument (`;` separates commands). */
function escapeArg(value: string): string {
  if (/[\s]/.test(value)) throw new RangeError(`names with white space cannot be sent over the Runtime API: ${JSON.stringify(value)}`);
  return value.replace(/[\\;]/g, (c) => `\\${c}`);
}

export class RuntimeApiTransport implements Transport {
  readonly member: string;
  readonly writable = true;

  constructor(
    private readonly target: MemberTarget,
    private readonly options: TransportOptions,
  ) {
    this.member = target.name;
  }

  /** Sends one command and returns the whole reply. */
  async command(line: string): Promise<string> {
    let text = "";
    await this.stream(line, (chunk) => {
      text += chunk;
    });
    return text;
  }

  async readStats(query: StatsQuery = {}): Promise<StatsTable> {
    const mask = typeMask(query.types);
    const line = query.proxy !== undefined || mask !== -1 ? `show stat ${query.proxy !== undefined ? escapeArg(query.proxy) : "-1"} ${mask} -1` : "show stat";
    const parser = new StatsCsvParser(this.member);
    let head = "";
    try {
      await this.stream(line, (chunk) => {
        if (head.length < 200) head += chunk.slice(0, 200);
        parser.write(chunk);
      });
      return parser.end();
    } catch (error) {
      // An error sentence is not CSV: report what HAProxy said, not "bad CSV".
      throw this.replyError(head, { backend: query.proxy }) ?? error;
    }
  }

  /**
   * `show servers state`: the admin bits (drain, maint and where they come from) that the
   * CSV status hides when a server is also down. Returns `backend/server` → admin bit mask.
   */
  async readAdminStates(backend?: string): Promise<Map<string, number>> {
    const reply = await this.command(backend === undefined ? "show servers state" : `show servers state ${escapeArg(backend)}`);
    const lines = reply.split("\n");
    const error = this.replyError(reply, { backend });
    if (error) throw error;
    const header = lines.find((l) => l.startsWith("# "));
    if (lines[0] !== "1" || !header) {
      throw new HcError("HC_BAD_STATS", `${this.member}: \`show servers state\` answered in an unknown format; this HAProxy version may be unsupported.`, { member: this.member });
    }
    const names = header.slice(2).split(" ");
    const be = names.indexOf("be_name");
    const sv = names.indexOf("srv_name");
    const admin = names.indexOf("srv_admin_state");
    const states = new Map<string, number>();
    for (const l of lines) {
      if (l === "" || l === "1" || l.startsWith("#")) continue;
      const f = l.split(" ");
      states.set(`${f[be]}/${f[sv]}`, Number(f[admin]));
    }
    return states;
  }

  /** `show info`: which process answers (Pid, Start_time_sec, Uptime_sec). */
  async readProcess(): Promise<ProcessIdentity> {
    return parseShowInfo(this.member, await this.command("show info"));
  }

  async act(backend: string, servers: readonly string[], action: ServerStateAction): Promise<void> {
    for (const server of servers) {
      const target = `${escapeArg(backend)}/${escapeArg(server)}`;
      const line =
        action === "health-down"
          ? `set server ${target} health down`
          : action === "shutdown-sessions"
            ? `shutdown sessions server ${target}`
            : `set server ${target} state ${action}`;
      await this.expectEmpty(line, backend, server);
    }
  }

  async setWeight(backend: string, servers: readonly string[], weight: Weight): Promise<void> {
    const value = formatWeight(weight);
    for (const server of servers) {
      await this.expectEmpty(`set weight ${escapeArg(backend)}/${escapeArg(server)} ${value}`, backend, server);
    }
  }

  async close(): Promise<void> {
    // One connection per command: nothing is pooled.
  }

  /** Write commands answer an empty line on success; anything else is HAProxy refusing. */
  private async expectEmpty(line: string, backend: string, server: string): Promise<void> {
    const reply = await this.command(line);
    if (reply.trim() === "") return;
    throw (
      this.replyError(reply, { backend, server }) ??
      new HcError("HC_ACTION_REFUSED", `${this.member}: HAProxy refused \`${line}\` for ${backend}/${server}: ${reply.trim()}`, {
        member: this.member,
        backend,
        server,
        reply: reply.trim(),
      })
    );
  }

  private replyError(reply: string, where: { backend?: string; server?: string }): HcError | undefined {
    const first = reply.trimStart().split("\n")[0] ?? "";
    const known = KNOWN_REPLIES.find((k) => k.match.test(first));
    if (!known) return undefined;
    const subject = where.server !== undefined ? `${where.backend}/${where.server}` : (where.backend ?? "the request");
    return new HcError(known.code, `${this.member}: HAProxy answered "${first.trim()}" for ${subject}; ${known.advice}.`, {
      member: this.member,
      backend: where.backend,
      server: where.server,
      reply: first.trim(),
    });
  }

  private stream(line: string, onChunk: (text: string) => void): Promise<void> {
    const { timeoutSeconds, maxResponseBytes } = this.options;
    const where = this.target.kind === "unix" ? { path: this.target.path! } : { host: this.target.host!, port: this.target.port! };
    return new Promise<void>((resolve, reject) => {
      const socket = net.connect(where);
      const decoder = new StringDecoder("utf8");
      let received = 0;
      let settled = false;
      const finish = (error?: HcError): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        socket.destroy();
        if (error) reject(error);
        else resolve();
      };
      const timer = setTimeout(() => {
        finish(
          new HcError("HC_MEMBER_TIMEOUT", `${this.member}: no complete answer to \`${line.split(" ").slice(0, 3).join(" ")}\` within ${timeoutSeconds} s; check that HAProxy is alive and not overloaded, or raise the timeout.`, {
            member: this.member,
          }),
        );
      }, timeoutSeconds * 1000);
      socket.on("connect", () => socket.end(`${line}\n`));
      socket.on("data", (data: Buffer) => {
        received += data.length;
        if (received > maxResponseBytes) {
          finish(new HcError("HC_TOO_LARGE", `${this.member}: the answer exceeded ${maxResponseBytes} bytes; raise maxResponseBytes or ask for one backend.`, { member: this.member }));
          return;
        }
        try {
          onChunk(decoder.write(data));
        } catch (error) {
          finish(error instanceof HcError ? error : new HcError("HC_BAD_STATS", `${this.member}: ${String(error)}`, { member: this.member }));
        }
      });
      socket.on("end", () => {
        try {
          onChunk(decoder.end());
          finish();
        } catch (error) {
          finish(error instanceof HcError ? error : new HcError("HC_BAD_STATS", `${this.member}: ${String(error)}`, { member: this.member }));
        }
      });
      socket.on("error", (error: NodeJS.ErrnoException) => finish(this.socketError(error)));
    });
  }

  private socketError(error: NodeJS.ErrnoException): HcError {
    const why: Record<string, string> = {
      ENOENT: "the socket file does not exist; is HAProxy running, and is `stats socket` set to this path?",
      ECONNREFUSED: "connection refused; is HAProxy running and is its `stats socket` at this address?",
      EACCES: "permission denied opening the socket; run as a user that may open it (see `stats socket … mode/user/group`).",
      ECONNRESET: "HAProxy closed the connection before answering; try again (HAProxy may be reloading).",
      EHOSTUNREACH: "host unreachable; check the address and the network.",
      ENOTFOUND: "host not found; check the name.",
    };
    const text = why[error.code ?? ""] ?? `${error.message}; check the address.`;
    return new HcError("HC_MEMBER_UNREACHABLE", `${this.member}: ${text}`, { member: this.member, errno: error.code }, { cause: error });
  }
}
