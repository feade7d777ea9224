// A member reached through the Runtime API, over any byte pipe. On a worker socket every
// command goes as is. On a master socket (detected from its answers: a bare `show stat`
// is "Unknown command" there, `show proc` lists processes) reads go to the current
// worker (`@1`) and changes go to every live worker (`@!PID`), old ones included.

import { endsWait } from "../error-codes";
import { HcError, isHcError } from "../errors";
import type { StatsTable } from "../stats/csv";
import { parseProcessList, looksLikeProcessList, type LiveWorker } from "./master";
import type { BytePipe } from "./pipe";
import { isUnknownCommand, RuntimeApi, type RuntimeApiLimits } from "./runtime-api";
import type { FoldedRead, FoldedReadWants, ProcessIdentity, ServerStateAction, StatsQuery, Transport, WorkerView, Weight } from "./types";

type SocketRole = "worker" | "master";

export class RuntimeApiTransport implements Transport {
  readonly writable = true;
  private readonly api: RuntimeApi;
  #role?: Promise<SocketRole>;
  /**
   * The master's last `show proc`, reused instead of asking again for every read and
   * write of one command. It is dropped when a read shows another current worker (a
   * reload), when a change finds the listed current worker gone or stopped, and after
   * WORKER_LIST_MAX_AGE_MS, so old workers that left are forgotten too.
   */
  #workers?: { at: number; reply: Promise<string> };

  constructor(
    readonly member: string,
    private readonly pipe: BytePipe,
    limits: RuntimeApiLimits,
    /** Skip detection when the caller knows (member option `masterSocket`). */
    role?: SocketRole,
  ) {
    this.api = new RuntimeApi(member, pipe, limits);
    if (role) {
      this.#role = Promise.resolve(role);
      this.#declared = role;
    }
  }

  /** The role the member's options declared (`masterSocket`), so a wrong one is named as such. */
  readonly #declared?: SocketRole;

  /**
   * Sends one raw command to the worker that serves and returns its reply: on a master
   * socket, the current worker (`@1`), as reads go. Old workers are left out: they take
   * no new connection, so a server added, moved or deleted there would change nothing.
   */
  async command(line: string): Promise<string> {
    const known = await this.#role?.catch(() => undefined);
    if (known === "master") return this.fromCurrent((api) => api.command(line));
    const reply = await this.api.command(line);
    if (known === "worker" || !/^Unknown command/m.test(reply)) return reply;
    // A master answers a worker command with "Unknown command" (a worker too, to one its
    // release lacks, such as `wait` on 2.6): ask which socket this is, once.
    return (await this.role()) === "master" ? this.fromCurrent((api) => api.command(line)) : reply;
  }

  readStats(query?: StatsQuery): Promise<StatsTable> {
    return this.read((api) => api.readStats(query), true);
  }

  readAdminStates(backend?: string): Promise<Map<string, number>> {
    return this.read((api) => api.readAdminStates(backend));
  }

  readProcess(): Promise<ProcessIdentity> {
    return this.read((api) => api.readProcess());
  }

  async readFolded(query: StatsQuery, wants: FoldedReadWants): Promise<FoldedRead> {
    const read = await this.read((api) => api.readFolded(query, wants), true);
    // A reload since the master listed its workers: list them again when next needed.
    if (read.process && this.#workers) {
      const current = await this.listedCurrent();
      if (current !== undefined && current !== read.process.pid) this.#workers = undefined;
    }
    return read;
  }

  /**
   * Live workers other than the current one, each readable on its own; empty on a worker
   * socket. A read of one that left since `show proc` (the master can no longer reach it:
   * measured on 3.2 just after a reload) resolves to undefined.
   */
  async oldWorkers(): Promise<WorkerView[]> {
    if ((await this.role()) !== "master") return [];
    const workers = await this.liveWorkers();
    return workers
      .filter((w) => !w.current)
      .map((w) => {
        const api = this.api.at(`@!${w.pid}`, `old worker ${w.pid}`);
        return {
          pid: w.pid,
          reloads: w.reloads,
          readStats: (query?: StatsQuery) => api.readStats(query).catch(unlessLeft),
          readAdminStates: (backend?: string) => api.readAdminStates(backend).catch(unlessLeft),
        };
      });
  }

  async act(backend: string, servers: readonly string[], action: ServerStateAction): Promise<void> {
    await this.write((api) => api.act(backend, servers, action));
  }

  async setWeight(backend: string, servers: readonly string[], weight: Weight): Promise<void> {
    await this.write((api) => api.setWeight(backend, servers, weight));
  }

  async close(): Promise<void> {
    await this.pipe.close();
  }

  /** Reads from the worker socket, or from the master's current worker. */
  private async read<T>(run: (api: RuntimeApi) => Promise<T>, provesWorker = false): Promise<T> {
    const known = this.#role;
    if (known) {
      const reading = (await known) === "worker" ? run(this.api) : this.fromCurrent(run);
      return reading.catch((error: unknown) => {
        throw this.#declared && isUnknownCommand(error) ? this.wrongRole(this.#declared, error) : error;
      });
    }
    try {
      const value = await run(this.api);
      // A master answers `show stat` with "Unknown command": this is a worker socket.
      if (provesWorker) this.#role ??= Promise.resolve("worker");
      return value;
    } catch (error) {
      // An error no retry can cure (a refused host key or login, a name HAProxy does not
      // know) says nothing about the socket's role, and asking again would be refused again
      // (one more failed login in the server's log, which sshd's penalties and fail2ban count).
      // A socket silent until the deadline is no master refusing a bare worker command
      // either: `show proc` would only wait as long again (a one-shot `check` took 2×).
      if (isHcError(error) && (endsWait(error.code) || error.code === "HC_MEMBER_TIMEOUT")) throw error;
      // The master answers a bare worker command with "Unknown command" (which `show info`
      // parses as a malformed answer, not as that error): ask which socket this is.
      if ((await this.role().catch(() => undefined)) !== "master") throw error;
      return this.fromCurrent(run);
    }
  }

  /** A read from the master's current worker, tried again while the master reloads (see againIfReloading). */
  private fromCurrent<T>(run: (api: RuntimeApi) => Promise<T>): Promise<T> {
    return againIfReloading(() => run(this.current()));
  }

  /**
   * A change goes to every live worker: a drain sent only to the new one leaves old ones
   * sending traffic. An old worker whose proxies have stopped refuses every change
   * ("Proxy is disabled."): it keeps the states it had, which its snapshot shows, and
   * the cluster layer names it (it takes nothing new, so no wait holds on it).
   */
  private async write(run: (api: RuntimeApi) => Promise<void>): Promise<void> {
    if ((await this.role()) !== "master") return run(this.api);
    const listed = this.#workers !== undefined;
    try {
      await this.writeTo(await this.liveWorkers(), run);
    } catch (error) {
      // The list we kept is out of date (the worker it calls current has stopped or left
      // at a reload): list the workers again and send the change again; it is idempotent.
      if (!listed || !(error instanceof HcError) || !OLD_WORKER_REFUSALS.test(String(error.details.reply ?? ""))) throw error;
      this.#workers = undefined;
      await this.writeTo(await this.liveWorkers(), run);
    }
  }

  private async writeTo(workers: readonly LiveWorker[], run: (api: RuntimeApi) => Promise<void>): Promise<void> {
    for (const w of workers) {
      try {
        await run(this.api.at(`@!${w.pid}`, `${w.current ? "worker" : "old worker"} ${w.pid}`));
      } catch (error) {
        // Refused by stopped proxies, or the worker left since `show proc` (see unlessLeft).
        if (w.current || !(error instanceof HcError) || !OLD_WORKER_REFUSALS.test(String(error.details.reply ?? ""))) throw error;
      }
    }
  }

  /** "Unknown command" under a declared role: the socket is the other kind. */
  private wrongRole(declared: SocketRole, cause: unknown): HcError {
    const is = declared === "master" ? "a worker socket, not HAProxy's master CLI" : "HAProxy's master CLI (-S), not a worker socket";
    const option = declared === "master" ? "masterSocket: true (--master-socket)" : "masterSocket: false (--no-master-socket)";
    return new HcError("HC_BAD_SPEC", `${this.member}: this is ${is}, but its options say ${option}; drop that option to let it be detected, or point the member at the other socket.`, { member: this.member }, { cause });
  }

  private current(): RuntimeApi {
    return this.api.at("@1", "current worker");
  }

  /** The current worker's PID in the kept `show proc`, if one is kept and readable. */
  private async listedCurrent(): Promise<number | undefined> {
    const kept = this.#workers;
    if (!kept) return undefined;
    try {
      return parseProcessList(this.member, await kept.reply).find((w) => w.current)?.pid;
    } catch {
      return undefined;
    }
  }

  /** `show proc`, kept for reuse (see #workers). */
  private processList(): Promise<string> {
    if (this.#workers && Date.now() - this.#workers.at < WORKER_LIST_MAX_AGE_MS) return this.#workers.reply;
    const reply = againIfReloading(() => this.api.command("show proc"));
    this.#workers = { at: Date.now(), reply };
    reply.catch(() => {
      if (this.#workers?.reply === reply) this.#workers = undefined;
    });
    return reply;
  }

  private async liveWorkers(): Promise<LiveWorker[]> {
    const workers = parseProcessList(this.member, await this.processList());
    if (workers.length === 0) {
      throw new HcError("HC_MEMBER_UNREACHABLE", `${this.member}: the master lists no live worker; HAProxy's worker is gone, so restart HAProxy (systemctl restart haproxy).`, { member: this.member });
    }
    // 3.1+ keeps the master (with `master-worker no-exit-on-failure`) when the current
    // worker dies while an old one finishes its connections: `@1` then reaches that old
    // worker, whose proxies are stopped, and nothing takes new connections.
    if (!workers.some((w) => w.current)) {
      const old = workers.map((w) => w.pid).join(", ");
      throw new HcError("HC_MEMBER_UNREACHABLE", `${this.member}: the master lists no current worker (only old worker ${old}, finishing its connections after a reload), so this HAProxy takes no new connections; restart HAProxy (systemctl restart haproxy).`, { member: this.member, oldWorkers: workers.map((w) => w.pid) });
    }
    return workers;
  }

  /** Worker or master socket, asked once per process: `show proc` answers only on the master. */
  private role(): Promise<SocketRole> {
    // Not retried: a socket nobody answers is far more often a stopped HAProxy than a master mid-reload.
    this.#role ??= this.api
      .command("show proc")
      .then((reply): SocketRole => {
        if (looksLikeProcessList(reply)) {
          // The answer that tells the role also lists the workers: keep it.
          this.#workers = { at: Date.now(), reply: Promise.resolve(reply) };
          return "master";
        }
        // A worker refuses `show proc`; an empty answer (a master mid-reload) proves nothing.
        if (reply.trim() !== "") return "worker";
        throw new HcError("HC_BAD_STATS", `${this.member}: \`show proc\` got no answer that tells a master socket from a worker socket; try again (HAProxy may be reloading).`, { member: this.member, reason: "empty" });
      })
      .catch((error: unknown) => {
        this.#role = undefined;
        throw error;
      });
    return this.#role;
  }
}

/**
 * The longest a kept `show proc` is reused. A reload is noticed sooner, from the next
 * read's process identity or a change refused by the listed current worker; this bounds
 * how long an old worker that finished and left stays listed (its reads then say so).
 */
const WORKER_LIST_MAX_AGE_MS = 30_000;

/** How long a read from a master keeps trying while the master re-executes itself. */
const MASTER_RELOAD_RETRY_MS = 2_000;
const MASTER_RELOAD_PAUSE_MS = 100;

/**
 * Runs a read again while the master looks mid-reload: 2.6 and 3.0 re-execute the master
 * on reload, and for a moment its CLI resets connections, refuses them, or answers nothing
 * (measured). A read changes nothing, so repeating it is safe; the last error stands.
 */
async function againIfReloading<T>(read: () => Promise<T>): Promise<T> {
  const until = Date.now() + MASTER_RELOAD_RETRY_MS;
  for (;;) {
    try {
      return await read();
    } catch (error) {
      const midReload = error instanceof HcError && (error.details.reason === "empty" || MID_RELOAD.has(String(error.details.errno)));
      if (!midReload || Date.now() >= until) throw error;
      await new Promise((resolve) => setTimeout(resolve, MASTER_RELOAD_PAUSE_MS));
    }
  }
}

/** Connection errors of a master re-executing itself (an empty answer has reason "empty"). */
const MID_RELOAD: ReadonlySet<string> = new Set(["ECONNRESET", "ECONNREFUSED", "ENOENT", "EPIPE"]);

/** The master's answers about a worker that left since `show proc` listed it. */
const WORKER_LEFT = /^Can't (find the target PID|connect to the target CLI)/;
/** What an old worker may answer a change with, and the change still counts as made. */
const OLD_WORKER_REFUSALS = new RegExp(`^(Proxy is disabled|${WORKER_LEFT.source.slice(1)})`);

/** An old worker the master no longer finds or reaches has left: nothing to read there. */
function unlessLeft(error: unknown): undefined {
  if (error instanceof HcError && WORKER_LEFT.test(String(error.details.reply ?? ""))) return undefined;
  throw error;
}
