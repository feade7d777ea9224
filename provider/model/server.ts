// One server as one member sees it: admin state, health, and typed counters read by
// column name from the statistics row. "Serving" is defined here, once.

import { parseDecimal } from "../stats/cells";
import type { StatsTable } from "../stats/csv";
import { parseServerStatus, type AdminState, type HealthState, type ServerStatus } from "../stats/status";

/** `show servers state` admin bits (src/server.h SRV_ADMF_*): which mean maint, which drain. */
const ADMIN_MAINT_BITS = 0x01 | 0x02 | 0x04 | 0x20;
const ADMIN_DRAIN_BITS = 0x08 | 0x10;

export function adminStateFromBits(bits: number): AdminState {
  if (bits & ADMIN_MAINT_BITS) return "maint";
  if (bits & ADMIN_DRAIN_BITS) return "drain";
  return "ready";
}

/**
 * A server's address as the `addr` column shows it (`10.0.0.5:8080`, `[::1]:8080`, a bare
 * IPv6 address) split into host and port.
 */
export function splitAddress(addr: string): { host: string; port?: number } {
  const bracketed = /^\[(.*)\](?::(\d+))?$/.exec(addr);
  if (bracketed) return { host: bracketed[1]!, ...(bracketed[2] ? { port: Number(bracketed[2]) } : {}) };
  const colons = addr.split(":").length - 1;
  if (colons !== 1) return { host: addr }; // more than one colon: a bare IPv6 address
  const [host, port] = addr.split(":") as [string, string];
  return /^\d+$/.test(port) ? { host, port: Number(port) } : { host };
}

/** Reads typed cells of one statistics row by column name. Empty cell → undefined, never 0. */
export class StatsRow {
  constructor(
    protected readonly table: StatsTable,
    protected readonly row: readonly string[],
  ) {}

  /** The raw cell, or undefined when this HAProxy version has no such column. */
  cell(column: string): string | undefined {
    const i = this.table.index.get(column);
    return i === undefined ? undefined : this.row[i];
  }

  /** The cell as an integer; undefined when absent, empty or not a number. */
  int(column: string): number | undefined {
    const text = this.cell(column);
    return text === undefined ? undefined : parseDecimal(text);
  }

  /** Every column of the row, unknown ones included, as HAProxy printed it. */
  cells(): Record<string, string> {
    const out: Record<string, string> = {};
    this.table.columns.forEach((name, i) => {
      out[name] = this.row[i] ?? "";
    });
    return out;
  }
}

export class Server extends StatsRow {
  readonly name: string;
  readonly backend: string;
  readonly member: string;
  readonly status: ServerStatus;
  /**
   * ready, drain or maint. Over the Runtime API it comes from `show servers state` and
   * is exact; over the stats page it is read from `status`, which says `DOWN` for a
   * server that is both down and drained (see `adminStateKnown`).
   */
  readonly admin: AdminState;
  /** False when the admin state was inferred from a status that can hide a drain. */
  readonly adminStateKnown: boolean;

  constructor(member: string, table: StatsTable, row: readonly string[], adminBits?: number) {
    super(table, row);
    this.member = member;
    this.backend = this.cell("pxname")!;
    this.name = this.cell("svname")!;
    this.status = parseServerStatus(this.cell("status") ?? "");
    if (adminBits !== undefined) {
      this.admin = adminStateFromBits(adminBits);
      this.adminStateKnown = true;
    } else {
      this.admin = this.status.admin;
      // A drain is visible in `status` only while the server is up.
      this.adminStateKnown = this.status.admin !== "ready" || this.status.health !== "down";
    }
  }

  get health(): HealthState {
    return this.status.health;
  }
  /** The `x/y` suffix: checks are moving the server towards the other verdict. */
  get transitioning(): boolean {
    return this.status.transitioning;
  }
  get backup(): boolean {
    return this.int("bck") === 1;
  }
  /** Effective weight (0 while drained). */
  get weight(): number | undefined {
    return this.int("weight");
  }
  /** Weight as configured or set by `set weight` (HAProxy ≥ 2.3's `uweight`). */
  get userWeight(): number | undefined {
    return this.int("uweight");
  }
  /** Current sessions (`scur`). */
  get sessions(): number | undefined {
    return this.int("scur");
  }
  /** Requests queued for this server (`qcur`). */
  get queue(): number | undefined {
    return this.int("qcur");
  }
  /** Sessions per second over the last second (`rate`). */
  get rate(): number | undefined {
    return this.int("rate");
  }
  get checkStatus(): string | undefined {
    return this.cell("check_status") || undefined;
  }
  /** Seconds since the last UP/DOWN change (`lastchg`). */
  get lastChangeSeconds(): number | undefined {
    return this.int("lastchg");
  }
  get rise(): number | undefined {
    return this.int("check_rise");
  }
  get fall(): number | undefined {
    return this.int("check_fall");
  }
  /** Whether HAProxy runs health checks on this server. */
  get hasHealthCheck(): boolean {
    if (this.status.health === "no check") return false;
    return this.int("check_rise") !== undefined || (this.cell("check_status") ?? "") !== "";
  }

  /**
   * Serving: takes new traffic now and is expected to keep doing so. Exactly:
   * admin state `ready`, health `up` or `no check`, not transitioning (`UP 1/2` is
   * failing checks on its way down), and an effective weight above 0: HAProxy sends no
   * new traffic to a weight-0 server, and a `set weight … N%` that rounds down to 0
   * shows as weight 0 here too. `NOLB`, `DRAIN`, `MAINT`, `DOWN` and any status this
   * package does not recognise are not serving. (CSV without a `weight` column, before
   * HAProxy 1.3.x, is judged by status alone.)
   */
  get serving(): boolean {
    return this.admin === "ready" && this.status.known && (this.health === "up" || this.health === "no check") && !this.transitioning && this.weight !== 0;
  }

  toJSON(): ServerSummary {
    return {
      member: this.member,
      backend: this.backend,
      name: this.name,
      status: this.status.raw,
      admin: this.admin,
      health: this.health,
      transitioning: this.transitioning,
      serving: this.serving,
      backup: this.backup,
      weight: this.weight,
      sessions: this.sessions,
      queue: this.queue,
      rate: this.rate,
    };
  }
}

export interface ServerSummary {
  member: string;
  backend: string;
  name: string;
  status: string;
  admin: AdminState;
  health: HealthState;
  transitioning: boolean;
  serving: boolean;
  backup: boolean;
  weight?: number;
  sessions?: number;
  queue?: number;
  rate?: number;
}
