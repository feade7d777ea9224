// HAProxy's Runtime API protocol, whatever carries it: one command per duplex from a
// byte pipe (pipe.ts), the write side half-closed after the line, the answer read to
// its end under a deadline and a size limit, every reply checked, HAProxy's error
// sentences mapped to codes. `at("@1")` prefixes commands for the master CLI.
// A new read is one method here plus an optional member on Transport (types.ts).

import { StringDecoder } from "node:string_decoder";
import type { Duplex } from "node:stream";
import { HcError, type HcErrorCode } from "../errors";
import { StatsCsvParser, type StatsTable } from "../stats/csv";
import { socketError, type BytePipe } from "./pipe";
import { parseShowInfo } from "./process-identity";
import { formatWeight, typeMask, type FoldedRead, type FoldedReadWants, type ProcessIdentity, type ServerStateAction, type StatsQuery, type Weight } from "./types";

/** HAProxy's Runtime API error sentences (src/cli.c, src/server.c, src/proxy.c, src/mworker.c) and what they mean. */
const KNOWN_REPLIES: ReadonlyArray<{ match: RegExp; code: HcErrorCode; advice: string }> = [
  { match: /^Permission denied/, code: "HC_NOT_ADMIN", advice: "the socket is not at level admin; use a `stats socket … level admin` socket" },
  { match: /^No such backend\./, code: "HC_UNKNOWN_BACKEND", advice: "check the backend name" },
  { match: /^No such proxy\./, code: "HC_UNKNOWN_BACKEND", advice: "check the proxy name" },
  { match: /^No such server\./, code: "HC_UNKNOWN_SERVER", advice: "check the server name" },
  { match: /^Can't find the target PID/, code: "HC_MEMBER_UNREACHABLE", advice: "the master has no such worker (it exited); check `show proc` on the master socket, and restart HAProxy if no worker runs" },
  { match: /^Can't connect to the target CLI/, code: "HC_MEMBER_UNREACHABLE", advice: "the master cannot reach that worker (it is exiting); try again" },
  { match: /^Unknown command/, code: "HC_ACTION_REFUSED", advice: "this HAProxy does not know the command; it may be too old" },
];

/** Escapes what the CLI parser treats specially in an argument (`;` separates commands). */
export function escapeArg(value: string, member: string): string {
  // A bad name, not a bad member: waiting or retrying cannot help, so HC_BAD_SPEC.
  if (/[\s]/.test(value)) throw new HcError("HC_BAD_SPEC", `${member}: ${JSON.stringify(value)} has white space, which HAProxy names never have and the Runtime API cannot carry; check the name.`, { member });
  return value.replace(/[\\;]/g, (c) => `\\${c}`);
}

export interface RuntimeApiLimits {
  /** Deadline for one command: connect, send, whole answer. */
  requestTimeoutSeconds: number;
  maxResponseBytes: number;
}

/** True when HAProxy answered "Unknown command": on a master socket, a worker command sent without prefix. */
export function isUnknownCommand(error: unknown): boolean {
  return error instanceof HcError && /^Unknown command/.test(String(error.details.reply ?? ""));
}

export class RuntimeApi {
  constructor(
    /** The member's name, in every message. */
    readonly member: string,
    private readonly pipe: BytePipe,
    private readonly limits: RuntimeApiLimits,
    /** Master CLI routing (`@1 `, `@!1234 `), or "" on a worker socket. */
    readonly prefix = "",
    /** How the answers name where they came from, e.g. "worker 1234". */
    private readonly via = "",
  ) {}

  /** The same API with every command routed by the master CLI to `target` (`@1`, `@!PID`). */
  at(target: string, via: string): RuntimeApi {
    return new RuntimeApi(this.member, this.pipe, this.limits, `${target} `, via);
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
    const line = this.statLine(query);
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
   * `show info; show servers state [B]; show stat …` in one connection. HAProxy runs
   * `;`-separated commands in order and ends each answer with an empty line (measured on
   * 2.6 to 3.4, worker socket and master CLI alike), so one connection reads what three
   * would. The statistics come last, so that they still stream into the parser. A `show
   * info` that cannot be parsed leaves `process` undefined, as a failed separate read did.
   */
  async readFolded(query: StatsQuery, wants: FoldedReadWants): Promise<FoldedRead> {
    const heads = [wants.process ? "show info" : undefined, wants.adminStates ? this.adminLine(query.proxy) : undefined].filter((c) => c !== undefined);
    const answers: string[] = [];
    let pending = "";
    let statHead = "";
    let received = false;
    const parser = new StatsCsvParser(this.member);
    const statistics = (chunk: string) => {
      if (statHead.length < 200) statHead += chunk.slice(0, 200);
      parser.write(chunk);
    };
    let table: StatsTable;
    try {
      // One line: every command after the first carries the master CLI's prefix too.
      await this.stream([...heads, this.statLine(query)].join(`; ${this.prefix}`), (chunk) => {
        if (chunk !== "") received = true;
        if (answers.length === heads.length) return statistics(chunk);
        pending += chunk;
        while (answers.length < heads.length) {
          if (pending.startsWith("\n")) {
            // An empty answer is its terminator alone.
            answers.push("");
            pending = pending.slice(1);
            continue;
          }
          const end = pending.indexOf("\n\n");
          if (end < 0) return;
          answers.push(pending.slice(0, end + 1));
          pending = pending.slice(end + 2);
        }
        const rest = pending;
        pending = "";
        if (rest !== "") statistics(rest);
      });
      if (!received) throw this.emptyAnswer();
      if (answers.length < heads.length) {
        throw new HcError("HC_BAD_STATS", `${this.member}: the answer ended before the statistics${this.where()}; try again (HAProxy may be reloading).`, { member: this.member, reason: "truncated" });
      }
      table = parser.end();
    } catch (error) {
      throw this.replyError(statHead, { backend: query.proxy }) ?? error;
    }
    let next = 0;
    let process: ProcessIdentity | undefined;
    if (wants.process) {
      try {
        process = parseShowInfo(this.member, answers[next]!);
      } catch {
        process = undefined;
      }
      next++;
    }
    const adminStates = wants.adminStates ? this.parseAdminStates(this.notEmpty(answers[next]!), query.proxy) : undefined;
    return { table, adminStates, process };
  }

  private statLine(query: StatsQuery): string {
    const mask = typeMask(query.types);
    return query.proxy !== undefined || mask !== -1 ? `show stat ${query.proxy !== undefined ? escapeArg(query.proxy, this.member) : "-1"} ${mask} -1` : "show stat";
  }

  private adminLine(backend: string | undefined): string {
    return backend === undefined ? "show servers state" : `show servers state ${escapeArg(backend, this.member)}`;
  }

  /** `show info`: which process answers (Pid, Start_time_sec, Uptime_sec). */
  async readProcess(): Promise<ProcessIdentity> {
    return parseShowInfo(this.member, this.notEmpty(await this.command("show info")));
  }

  /** An empty answer (HAProxy right after a reload) as the error the CSV parser gives, so callers may retry. */
  private notEmpty(reply: string): string {
    if (reply.trim() === "") throw this.emptyAnswer();
    return reply;
  }

  private emptyAnswer(): HcError {
    return new HcError("HC_BAD_STATS", `${this.member}: empty answer${this.where()}, as HAProxy gives right after a reload; try again.`, { member: this.member, reason: "empty" });
  }

  /**
   * `show servers state`: the admin bits (drain, maint and where they come from) that the
   * CSV status hides when a server is also down. Returns `backend/server` → admin bit mask.
   */
  async readAdminStates(backend?: string): Promise<Map<string, number>> {
    return this.parseAdminStates(this.notEmpty(await this.command(this.adminLine(backend))), backend);
  }

  private parseAdminStates(reply: string, backend: string | undefined): Map<string, number> {
    const lines = reply.split("\n");
    const error = this.replyError(reply, { backend });
    if (error) throw error;
    const header = lines.find((l) => l.startsWith("# "));
    if (lines[0] !== "1" || !header) {
      throw new HcError("HC_BAD_STATS", `${this.member}: \`show servers state\` answered in an unknown format${this.where()}; this HAProxy version may be unsupported.`, { member: this.member });
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

  async act(backend: string, servers: readonly string[], action: ServerStateAction): Promise<void> {
    for (const server of servers) {
      const target = `${escapeArg(backend, this.member)}/${escapeArg(server, this.member)}`;
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
      await this.expectEmpty(`set weight ${escapeArg(backend, this.member)}/${escapeArg(server, this.member)} ${value}`, backend, server);
    }
  }

  /** Write commands answer an empty line on success; anything else is HAProxy refusing. */
  private async expectEmpty(line: string, backend: string, server: string): Promise<void> {
    const reply = await this.command(line);
    if (reply.trim() === "") return;
    throw (
      this.replyError(reply, { backend, server }) ??
      new HcError("HC_ACTION_REFUSED", `${this.member}: HAProxy refused \`${line}\` for ${backend}/${server}${this.where()}: ${reply.trim()}`, {
        member: this.member,
        backend,
        server,
        reply: reply.trim(),
      })
    );
  }

  replyError(reply: string, where: { backend?: string; server?: string }): HcError | undefined {
    const first = reply.trimStart().split("\n")[0] ?? "";
    const known = KNOWN_REPLIES.find((k) => k.match.test(first));
    if (!known) return undefined;
    const subject = where.server !== undefined ? `${where.backend}/${where.server}` : (where.backend ?? "the request");
    return new HcError(known.code, `${this.member}: HAProxy answered "${first.trim()}" for ${subject}${this.where()}; ${known.advice}.`, {
      member: this.member,
      backend: where.backend,
      server: where.server,
      reply: first.trim(),
    });
  }

  private where(): string {
    return this.via ? ` (${this.via})` : "";
  }

  private async stream(line: string, onChunk: (text: string) => void): Promise<void> {
    const { requestTimeoutSeconds: timeoutSeconds, maxResponseBytes } = this.limits;
    const started = Date.now();
    const timeoutMs = timeoutSeconds * 1000;
    const duplex = await this.pipe.open(timeoutMs);
    const shown = `${this.prefix}${line}`.split(" ").slice(0, 4).join(" ");
    return new Promise<void>((resolve, reject) => {
      const decoder = new StringDecoder("utf8");
      let received = 0;
      let settled = false;
      const finish = (error?: HcError): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        duplex.destroy();
        if (error) reject(error);
        else resolve();
      };
      const timer = setTimeout(() => {
        finish(
          new HcError("HC_MEMBER_TIMEOUT", `${this.member}: no complete answer to \`${shown}\` within ${timeoutSeconds} s; check that HAProxy is alive and not overloaded, or raise the timeout.`, {
            member: this.member,
          }),
        );
      }, Math.max(1, timeoutMs - (Date.now() - started)));
      const failed = (error: unknown): void =>
        finish(error instanceof HcError ? error : new HcError("HC_BAD_STATS", `${this.member}: ${String(error)}`, { member: this.member }));
      duplex.on("data", (data: Buffer) => {
        received += data.length;
        if (received > maxResponseBytes) {
          finish(new HcError("HC_TOO_LARGE", `${this.member}: the answer exceeded ${maxResponseBytes} bytes; raise maxResponseBytes or ask for one backend.`, { member: this.member }));
          return;
        }
        try {
          onChunk(decoder.write(data));
        } catch (error) {
          failed(error);
        }
      });
      duplex.on("end", () => {
        try {
          onChunk(decoder.end());
          finish();
        } catch (error) {
          failed(error);
        }
      });
      duplex.on("error", (error: NodeJS.ErrnoException) => finish(socketError(this.member, error)));
      // Half-close after the line: the master CLI answers, then waits for the client to end its side.
      sendLine(duplex, `${this.prefix}${line}\n`);
    });
  }
}

function sendLine(duplex: Duplex, text: string): void {
  duplex.end(text);
}
