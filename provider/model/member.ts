// One HAProxy: read a snapshot, change servers. Names are checked against HAProxy's own
// list before anything changes, and every answer is checked (by the transport).

import { ACTIONS, type ActionRow } from "../action-table";
import * as util from "node:util";
import { HcError } from "../errors";
import { checkName } from "../input-rules";
import { resolveMember, type MemberKind, type MemberOptionsInput, type ResolvedMember } from "../member/spec";
import { createTransport } from "../transport";
import type { ChangeKind, FoldedRead, StatsRowType, Transport, Weight } from "../transport/types";
import { Snapshot } from "./snapshot";

/** The admin actions a user asks for; `enable`/`disable` are the original tool's names for ready/maint. */
export type ServerAction = "ready" | "drain" | "maint" | "enable" | "disable";

export interface SnapshotOptions {
  /** Read only this backend (its servers and totals): far cheaper on large configurations. */
  backend?: string;
  /** Row types to read; default all. */
  types?: readonly StatsRowType[];
  /**
   * Runtime API members only: also read `show servers state` so that a server that is
   * both down and drained reports `drain` (the CSV says `DOWN`). Default true.
   */
  exactAdminState?: boolean;
  /**
   * Also ask which HAProxy process answers (`show info`, or the stats page's header), so
   * that a reload between two reads can be told. Default true; a failure to tell leaves
   * `snapshot.process` undefined and never fails the read.
   */
  processIdentity?: boolean;
}

export class Member {
  /** The member's spec with credentials removed. Results everywhere are keyed by it. */
  readonly name: string;
  readonly kind: MemberKind;
  readonly #transport: Transport;

  constructor(spec: string | ResolvedMember, options?: MemberOptionsInput) {
    // Anything but a resolved member goes through resolveMember, which refuses non-strings with HC_BAD_SPEC.
    const resolved = typeof spec === "object" && spec !== null && "target" in spec ? spec : resolveMember(spec as string, options);
    this.name = resolved.target.name;
    this.kind = resolved.target.kind;
    this.#transport = createTransport(resolved);
  }

  get writable(): boolean {
    return this.#transport.writable;
  }

  /** The refusal this member gives a change of this kind before asking HAProxy (see Transport.refusal); undefined when it can make it. */
  refusal(change: ChangeKind, backend: string): HcError | undefined {
    return this.#transport.refusal?.(change, backend);
  }

  async snapshot(options: SnapshotOptions = {}): Promise<Snapshot> {
    if (options.backend !== undefined) checkName(options.backend, "backend");
    const types = options.types ?? (options.backend !== undefined ? (["backend", "server"] as const) : undefined);
    const wantsServers = !types || types.includes("server");
    const transport = this.#transport;
    const query = { proxy: options.backend, types };
    const wantsAdmin = transport.readAdminStates !== undefined && wantsServers && options.exactAdminState !== false;
    const wantsProcess = options.processIdentity !== false && transport.readProcess !== undefined;
    const { table, adminStates, process } = transport.readFolded
      ? await transport.readFolded(query, { adminStates: wantsAdmin, process: wantsProcess })
      : await this.readApart(query, wantsAdmin, wantsProcess);
    const snapshot = Snapshot.fromTable(this.name, table, adminStates, new Date(), process);
    if (options.backend !== undefined) snapshot.backend(options.backend);
    // After a reload, old workers keep serving their connections with their own server states.
    const oldWorkers = transport.oldWorkers ? await transport.oldWorkers() : [];
    const views = await Promise.all(
      oldWorkers.map(async (worker) => {
        const name = `${this.name} old worker ${worker.pid}`;
        const [t, b] = await Promise.all([worker.readStats(query), wantsAdmin ? worker.readAdminStates(options.backend) : undefined]);
        // Undefined: it left since the master listed it.
        return t && Snapshot.fromTable(name, t, b);
      }),
    );
    snapshot.oldWorkers = views.filter((view) => view !== undefined);
    return snapshot;
  }

  /** The statistics, admin states and process identity as separate reads sent together (transports that cannot chain them). */
  private async readApart(query: { proxy?: string; types?: readonly StatsRowType[] }, wantsAdmin: boolean, wantsProcess: boolean): Promise<FoldedRead> {
    const transport = this.#transport;
    const [table, adminStates, process] = await Promise.allSettled([
      transport.readStats(query),
      wantsAdmin ? transport.readAdminStates?.(query.proxy) : undefined,
      wantsProcess ? transport.readProcess?.().catch(() => undefined) : undefined,
    ]);
    // The statistics error is the one that explains the most (unknown backend, bad CSV…).
    if (table.status === "rejected") throw table.reason;
    if (adminStates.status === "rejected") throw adminStates.reason;
    return { table: table.value, adminStates: adminStates.value, process: process.status === "fulfilled" ? process.value : undefined };
  }

  /** Sets the admin state of one or several servers of a backend. */
  /** `checked` is a snapshot of the backend just read: names are checked against it instead of reading again. */
  async setState(backend: string, servers: string | readonly string[], action: ServerAction, checked?: Snapshot): Promise<void> {
    const canonical = (ACTIONS as Partial<Record<string, ActionRow>>)[action]?.sets;
    if (!canonical) throw new HcError("HC_BAD_SPEC", `${this.name}: unknown action ${String(action)}; use ready, drain or maint.`, { member: this.name });
    await this.run(backend, servers, (names) => this.#transport.act(backend, names, canonical), undefined, checked);
  }

  ready(backend: string, servers: string | readonly string[], checked?: Snapshot): Promise<void> {
    return this.setState(backend, servers, "ready", checked);
  }
  drain(backend: string, servers: string | readonly string[], checked?: Snapshot): Promise<void> {
    return this.setState(backend, servers, "drain", checked);
  }
  maint(backend: string, servers: string | readonly string[], checked?: Snapshot): Promise<void> {
    return this.setState(backend, servers, "maint", checked);
  }
  /** The original tool's name for `ready`. */
  enable(backend: string, servers: string | readonly string[]): Promise<void> {
    return this.setState(backend, servers, "ready");
  }
  /** The original tool's name for `maint`. */
  disable(backend: string, servers: string | readonly string[]): Promise<void> {
    return this.setState(backend, servers, "maint");
  }

  /** Runtime API members only: the stats page has no weight action. */
  setWeight(backend: string, servers: string | readonly string[], weight: Weight, checked?: Snapshot): Promise<void> {
    return this.run(backend, servers, (names) => this.#transport.setWeight(backend, names, weight), undefined, checked);
  }

  /** Kills the current sessions of the servers (HAProxy's `shutdown sessions server`). */
  shutdownSessions(backend: string, servers: string | readonly string[], checked?: Snapshot): Promise<void> {
    return this.run(backend, servers, (names) => this.#transport.act(backend, names, "shutdown-sessions"), undefined, checked);
  }

  /**
   * Forces the health verdict to down, so that only checks made afterwards can bring
   * the server up again. Refused for a server without health checks: it would stay
   * down for good.
   */
  async forceHealthDown(backend: string, servers: string | readonly string[], checked?: Snapshot): Promise<void> {
    await this.run(backend, servers, (names) => this.#transport.act(backend, names, "health-down"), (snapshot, names) => {
      for (const name of names) {
        const server = snapshot.backend(backend).server(name);
        if (!server.hasHealthCheck && server.admin !== "maint") {
          throw new HcError("HC_ACTION_REFUSED", `${this.name}: ${backend}/${name} has no health check; forcing it down would keep it down.`, {
            member: this.name,
            backend,
            server: name,
          });
        }
      }
    }, checked);
  }

  /** Sends a raw Runtime API command (unix, tcp and ssh members; behind a master socket, to the current worker) and returns HAProxy's reply. */
  async runtimeCommand(line: string): Promise<string> {
    if (!this.#transport.command) {
      throw new HcError("HC_ACTION_REFUSED", `${this.name}: Runtime API commands need a unix:, tcp:// or ssh:// member.`, { member: this.name });
    }
    return this.#transport.command(line);
  }

  async close(): Promise<void> {
    await this.#transport.close();
  }

  toString(): string {
    return this.name;
  }
  toJSON(): string {
    return this.name;
  }
  [util.inspect.custom](): string {
    return `Member(${this.name})`;
  }

  /** Checks the backend and every server name against HAProxy before changing anything. */
  private async run(
    backend: string,
    servers: string | readonly string[],
    change: (names: readonly string[]) => Promise<void>,
    check?: (snapshot: Snapshot, names: readonly string[]) => void,
    checked?: Snapshot,
  ): Promise<void> {
    const names = typeof servers === "string" ? [servers] : [...servers];
    if (names.length === 0) throw new HcError("HC_BAD_SPEC", `${this.name}: no server named for ${backend}.`, { member: this.name, backend });
    checkName(backend, "backend");
    for (const name of names) checkName(name, "server");
    if (!this.#transport.writable) {
      // Let the transport phrase the refusal.
      await change(names);
      return;
    }
    const snapshot = checked?.backends.has(backend) ? checked : await this.snapshot({ backend, types: ["backend", "server"], exactAdminState: check !== undefined });
    const be = snapshot.backend(backend);
    for (const name of names) be.server(name);
    check?.(snapshot, names);
    await change(names);
  }
}
