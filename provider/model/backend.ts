// A backend as one member sees it: its servers in configuration order, how many are
// serving, its load, and whether it can lose a server to a rolling restart.

import { HcError } from "../errors";
import { DEFAULTS } from "../policy";
import type { StatsTable } from "../stats/csv";
import { StatsRow, type Server } from "./server";

/** Share of the capacity servers that must serve for a rolling restart, in percent (policy.ts). */
export const DEFAULT_THRESHOLD_PERCENT = DEFAULTS.thresholdPercent;

/** serving / total, over the servers that count for capacity (see `Backend.capacityServers`). */
export interface Capacity {
  serving: number;
  total: number;
  /** 100 × serving / total; 100 when there is no server. */
  percent: number;
}

export class Backend {
  readonly name: string;
  readonly member: string;
  /** Servers by name, in the order HAProxy lists them (its configuration order). */
  readonly servers: ReadonlyMap<string, Server>;
  /** The `BACKEND` row, when HAProxy sent it. */
  readonly totals?: StatsRow;

  constructor(member: string, name: string, servers: ReadonlyMap<string, Server>, table?: StatsTable, row?: readonly string[]) {
    this.member = member;
    this.name = name;
    this.servers = servers;
    this.totals = table && row ? new StatsRow(table, row) : undefined;
  }

  /** The named server; throws HC_UNKNOWN_SERVER naming the member and backend. */
  server(name: string): Server {
    const server = this.servers.get(name);
    if (!server) {
      const known = [...this.servers.keys()];
      const hint = known.length > 0 && known.length <= 20 ? ` Its servers are: ${known.join(", ")}.` : "";
      throw new HcError("HC_UNKNOWN_SERVER", `${this.member}: backend ${this.name} has no server ${name}; check the name.${hint}`, {
        member: this.member,
        backend: this.name,
        server: name,
      });
    }
    return server;
  }

  /**
   * The servers that make up capacity: the active (non-backup) servers. Backup servers
   * only take traffic once every active server is down, so counting them would let a
   * rolling restart take the last active server. A backend with backup servers only
   * counts those.
   */
  get capacityServers(): Server[] {
    const all = [...this.servers.values()];
    const active = all.filter((s) => !s.backup);
    return active.length > 0 ? active : all;
  }

  get capacity(): Capacity {
    const counted = this.capacityServers;
    const serving = counted.filter((s) => s.serving).length;
    const total = counted.length;
    return { serving, total, percent: total === 0 ? 100 : (100 * serving) / total };
  }

  /**
   * True when this backend can lose a server: at least `thresholdPercent` of its
   * capacity servers are serving, or none is (every server down: a restart cannot
   * make it worse).
   */
  rollingRestartable(thresholdPercent: number = DEFAULT_THRESHOLD_PERCENT): boolean {
    const { serving, percent } = this.capacity;
    return serving === 0 || percent >= thresholdPercent;
  }

  /** Current sessions: the `BACKEND` row's `scur`, else the sum over servers. */
  get sessions(): number {
    return this.totals?.int("scur") ?? sum([...this.servers.values()].map((s) => s.sessions));
  }

  /**
   * The session backlog: requests waiting for a server, i.e. the backend's own queue
   * (`qcur` of the `BACKEND` row) plus every server's queue.
   */
  get backlog(): number {
    return (this.totals?.int("qcur") ?? 0) + sum([...this.servers.values()].map((s) => s.queue));
  }

  /** Sessions per second over the last second (`rate`). */
  get rate(): number {
    return this.totals?.int("rate") ?? sum([...this.servers.values()].map((s) => s.rate));
  }

  get status(): string | undefined {
    return this.totals?.cell("status");
  }

  toJSON(): BackendSummary {
    return {
      member: this.member,
      name: this.name,
      ...this.capacity,
      sessions: this.sessions,
      backlog: this.backlog,
      rate: this.rate,
      servers: [...this.servers.values()].map((s) => s.toJSON()),
    };
  }
}

export interface BackendSummary extends Capacity {
  member: string;
  name: string;
  sessions: number;
  backlog: number;
  rate: number;
  servers: ReturnType<Server["toJSON"]>[];
}

function sum(values: readonly (number | undefined)[]): number {
  let total = 0;
  for (const v of values) total += v ?? 0;
  return total;
}
