// The stats page over HTTP(S) with Node's own client (undici costs ~150 ms to load, a
// one-shot CLI run more than it saves): a keep-alive agent per member, one deadline per
// request, a size limit, and the admin form whose answer is read from the `;st=` code
// of the redirect (never followed).

import * as fs from "node:fs";
import * as http from "node:http";
import * as https from "node:https";
import { StringDecoder } from "node:string_decoder";
import { HcError } from "../errors";
import type { Credentials, TransportOptions, MemberTarget } from "../member/spec";
import { StatsCsvParser, type StatsTable } from "../stats/csv";
import { parseStatsPageHeader } from "./process-identity";
import type { ChangeKind, ProcessIdentity, ServerStateAction, StatsQuery, Transport, Weight } from "./types";

/** The admin form's action names for our actions (HAProxy's stats page `action=`). */
const FORM_ACTIONS: Record<ServerStateAction, string> = {
  ready: "ready",
  drain: "drain",
  maint: "maint",
  "health-down": "hdown",
  "shutdown-sessions": "shutdown",
};

/** What each `;st=` code means, from HAProxy's stats page (see docs/haproxy.md). */
const FORM_CODES: Record<string, string> = {
  PART: "only some of the servers changed (some names are unknown or ambiguous)",
  NONE: "nothing changed",
  ERRP: "invalid parameters: unknown backend or server, or an action this HAProxy does not know",
  EXCD: "the request was too large for HAProxy's buffer; act on fewer servers at a time",
  DENY: "the action was denied",
  IVAL: "the method was refused",
  UNKN: "an unexpected error",
};

/** Backend names HAProxy accepts in `scope=` without any encoding (it compares raw bytes). */
const PLAIN_NAME = /^[A-Za-z0-9._:-]+$/;

export class HttpTransport implements Transport {
  readonly member: string;
  readonly writable = true;
  private readonly agent: http.Agent;
  private readonly url: URL;
  private closed = false;
  // A true private field: util.inspect and JSON never show it.
  readonly #authorization?: string;

  constructor(
    private readonly target: MemberTarget,
    private readonly options: TransportOptions,
    credentials?: Credentials,
  ) {
    this.member = target.name;
    const timeoutMs = options.requestTimeoutSeconds * 1000;
    const ca = options.caPem ?? (options.caFile ? fs.readFileSync(options.caFile, "utf8") : undefined);
    const origin = new URL(target.origin!);
    this.url = origin;
    this.agent =
      origin.protocol === "https:"
        ? new https.Agent({ keepAlive: true, maxSockets: 4, timeout: timeoutMs, ca, rejectUnauthorized: !options.dangerouslySkipTlsVerify })
        : new http.Agent({ keepAlive: true, maxSockets: 4, timeout: timeoutMs });
    if (credentials) {
      this.#authorization = `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString("base64")}`;
    }
  }

  async readStats(query: StatsQuery = {}): Promise<StatsTable> {
    // The page has no row-type filter, only `scope=` (one proxy by exact name).
    const scope = query.proxy !== undefined && PLAIN_NAME.test(query.proxy) ? `;scope=${query.proxy}` : "";
    const path = `${this.target.statsPath};csv;norefresh${scope}`;
    const table = await this.onceMoreAfterReload(() => this.request("GET", path, undefined, async (statusCode, body) => {
      this.expectOk(statusCode, "reading statistics");
      const parser = new StatsCsvParser(this.member);
      const decoder = new StringDecoder("utf8");
      await this.readBody(body, (chunk) => parser.write(decoder.write(chunk)));
      parser.write(decoder.end());
      return parser.end();
    }));
    return table;
  }

  /**
   * The HTML page's header names the process (`pid = N`, `uptime = 0d 0h00m05s`); the
   * CSV does not. A scope no proxy name can match (proxy names have no `/`) keeps the
   * page to its header, about 18 kB whatever the configuration's size.
   */
  async readProcess(): Promise<ProcessIdentity> {
    const path = `${this.target.statsPath};norefresh;scope=%2F`;
    const read = () =>
      this.request("GET", path, undefined, async (statusCode, body) => {
        this.expectOk(statusCode, "reading the stats page's header");
        let html = "";
        await this.readBody(body, (chunk) => (html += chunk.toString("utf8")));
        return parseStatsPageHeader(this.member, html);
      });
    return this.onceMoreAfterReload(read);
  }

  /**
   * A reload closes the old process's idle keep-alive connections: the first GET on a
   * pooled one then fails at the socket, exactly when reading the new process matters.
   * Reads are idempotent: try once more on a fresh connection.
   */
  private onceMoreAfterReload<T>(read: () => Promise<T>): Promise<T> {
    return read().catch((error: unknown) => {
      const socketClosed = error instanceof HcError && (error.code === "HC_BAD_STATS" || error.code === "HC_MEMBER_UNREACHABLE") && /SOCKET|ECONNRESET|EPIPE/.test(String(error.details.errno));
      if (socketClosed) return read();
      throw error;
    });
  }

  async act(backend: string, servers: readonly string[], action: ServerStateAction): Promise<void> {
    const form = new URLSearchParams();
    for (const s of servers) form.append("s", s);
    form.append("action", FORM_ACTIONS[action]);
    form.append("b", backend);
    await this.request("POST", this.target.statsPath!, form.toString(), async (statusCode, body, headers) => {
      await body.dump();
      if (statusCode === 401 || statusCode === 403) this.expectOk(statusCode, "submitting the admin form");
      const location = String(headers.location ?? "");
      const code = /;st=([A-Z]+)/.exec(location)?.[1];
      const subject = `${backend}/${servers.join(",")}`;
      if (statusCode !== 303 || !code) {
        throw new HcError("HC_NOT_ADMIN", `${this.member}: the stats page did not answer the admin form (HTTP ${statusCode}); enable \`stats admin if …\` in its HAProxy section.`, {
          member: this.member,
          backend,
          statusCode,
        });
      }
      if (code === "DONE") return;
      if (code === "DENY") {
        throw new HcError("HC_NOT_ADMIN", `${this.member}: HAProxy denied ${action} on ${subject} (st=DENY); enable \`stats admin if …\` for this stats page, or use its admin socket.`, {
          member: this.member,
          backend,
          formCode: code,
        });
      }
      throw new HcError("HC_ACTION_REFUSED", `${this.member}: HAProxy refused ${action} on ${subject} (st=${code}: ${FORM_CODES[code] ?? "unknown answer"}).`, {
        member: this.member,
        backend,
        server: servers.length === 1 ? servers[0] : undefined,
        formCode: code,
      });
    });
  }

  async setWeight(backend: string, _servers: readonly string[], _weight: Weight): Promise<void> {
    throw this.refusal("weight", backend);
  }

  refusal(change: ChangeKind, backend: string): HcError | undefined {
    if (change !== "weight") return undefined;
    return new HcError("HC_ACTION_REFUSED", `${this.member}: the stats page cannot set weights; reach this HAProxy through its Runtime API (unix:/path.sock or tcp://host:port) to change the weights of ${backend}.`, {
      member: this.member,
      backend,
    });
  }

  /**
   * Drops the pool at once: a request abandoned by a wait's deadline would otherwise hold
   * close() until its own timeout. Idempotent.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.agent.destroy();
  }

  private async request<T>(
    method: "GET" | "POST",
    path: string,
    body: string | undefined,
    handle: (statusCode: number, body: BodyStream, headers: Record<string, string | string[] | undefined>) => Promise<T>,
  ): Promise<T> {
    const headers: Record<string, string> = {};
    if (this.#authorization) headers.authorization = this.#authorization;
    // Send neither Origin nor Referer: recent HAProxy releases deny admin forms whose Origin differs.
    if (body !== undefined) headers["content-type"] = "application/x-www-form-urlencoded";
    if (body !== undefined) headers["content-length"] = String(Buffer.byteLength(body));
    const signal = AbortSignal.timeout(this.options.requestTimeoutSeconds * 1000);
    let phase: "connect" | "body" = "connect";
    try {
      const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
        const client = this.url.protocol === "https:" ? https : http;
        const req = client.request({ protocol: this.url.protocol, hostname: this.url.hostname.replace(/^\[(.*)\]$/, "$1"), port: this.url.port, method, path, headers, agent: this.agent, signal }, resolve);
        req.on("error", reject);
        req.end(body);
      });
      phase = "body";
      const stream = Object.assign(res, {
        dump: () =>
          new Promise<void>((resolve, reject) => {
            res.once("end", resolve);
            res.once("error", reject);
            res.resume();
          }),
      });
      return await handle(res.statusCode ?? 0, stream, res.headers);
    } catch (error) {
      // The deadline aborts the request and the response: say it was the deadline, not a cut.
      throw this.mapError(signal.aborted ? signal.reason : error, phase);
    }
  }

  private async readBody(body: BodyStream, onChunk: (chunk: Buffer) => void): Promise<void> {
    let received = 0;
    for await (const chunk of body) {
      received += (chunk as Buffer).length;
      if (received > this.options.maxResponseBytes) {
        body.destroy();
        throw new HcError("HC_TOO_LARGE", `${this.member}: the answer exceeded ${this.options.maxResponseBytes} bytes; raise maxResponseBytes or ask for one backend.`, { member: this.member });
      }
      onChunk(chunk as Buffer);
    }
  }

  private expectOk(statusCode: number, doing: string): void {
    if (statusCode === 200) return;
    if (statusCode === 401 || statusCode === 403) {
      throw new HcError("HC_AUTH_FAILED", `${this.member}: HTTP ${statusCode} ${doing}; check the stats user and password (URL, options, or HAPROXY_CLUSTER_USER / HAPROXY_CLUSTER_PASSWORD).`, {
        member: this.member,
        statusCode,
      });
    }
    throw new HcError("HC_BAD_STATS", `${this.member}: HTTP ${statusCode} ${doing}; check that the URL is HAProxy's stats page.`, { member: this.member, statusCode });
  }

  private mapError(error: unknown, phase: "connect" | "body"): HcError {
    if (error instanceof HcError) return error;
    const e = error as NodeJS.ErrnoException & { name?: string };
    const code = e.code ?? "";
    const make = (hcCode: "HC_MEMBER_UNREACHABLE" | "HC_MEMBER_TIMEOUT" | "HC_BAD_STATS", text: string): HcError =>
      new HcError(hcCode, `${this.member}: ${text}`, { member: this.member, errno: code || e.name }, { cause: error });
    const seconds = this.options.requestTimeoutSeconds;
    if (e.name === "TimeoutError" || e.name === "AbortError" || code === "ABORT_ERR") {
      return make("HC_MEMBER_TIMEOUT", `no complete answer within ${seconds} s; check that HAProxy is alive and not overloaded, or raise the timeout.`);
    }
    if (code === "ECONNREFUSED") return make("HC_MEMBER_UNREACHABLE", "connection refused; is HAProxy running and is its stats page on this address?");
    if (code === "ENOTFOUND" || code === "EAI_AGAIN") return make("HC_MEMBER_UNREACHABLE", "host not found; check the name.");
    if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/.test(code)) {
      return make("HC_MEMBER_UNREACHABLE", `the TLS certificate is not trusted (${code}); give its CA (caFile / --ca), or as a last resort dangerouslySkipTlsVerify.`);
    }
    if (phase === "body" || code === "ECONNRESET" || code.startsWith("HPE_")) {
      return make("HC_BAD_STATS", "the answer was truncated: the connection closed before it was complete; try again (HAProxy may be reloading).");
    }
    return make("HC_MEMBER_UNREACHABLE", `${e.message || String(error)}; check the address.`);
  }
}

type BodyStream = AsyncIterable<unknown> & { dump(): Promise<void>; destroy(): void };
