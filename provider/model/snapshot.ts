// Everything one member reported at one moment: frontends and backends by name.

import { HcError } from "../errors";
import type { StatsTable } from "../stats/csv";
import type { ProcessIdentity } from "../transport/types";
import { Backend } from "./backend";
import { Frontend } from "./frontend";
import { Server } from "./server";

export class Snapshot {
  /**
   * Master-socket members after a reload: what each old worker (still serving the
   * connections it held) reports. Empty otherwise. The cluster counts each as a member.
   */
  oldWorkers: readonly Snapshot[] = [];

  constructor(
    readonly member: string,
    /** When the answer was received. */
    readonly takenAt: Date,
    readonly frontends: ReadonlyMap<string, Frontend>,
    readonly backends: ReadonlyMap<string, Backend>,
    /** The parsed table, for columns the model does not name. */
    readonly table: StatsTable,
    /** Which HAProxy process answered, when the transport can tell (see `reloadBetween`). */
    readonly process?: ProcessIdentity,
  ) {}

  /** Builds the model from a statistics table; `adminBits` (`backend/server` → bits) refines admin states. */
  static fromTable(member: string, table: StatsTable, adminBits?: ReadonlyMap<string, number>, takenAt = new Date(), process?: ProcessIdentity): Snapshot {
    const px = table.index.get("pxname");
    const sv = table.index.get("svname");
    if (px === undefined || sv === undefined) {
      throw new HcError("HC_BAD_STATS", `${member}: the statistics have no pxname/svname columns; this is not HAProxy CSV.`, { member });
    }
    const type = table.index.get("type");
    const frontends = new Map<string, Frontend>();
    const groups = new Map<string, { servers: Map<string, Server>; row?: readonly string[] }>();
    const group = (name: string) => {
      let g = groups.get(name);
      if (!g) groups.set(name, (g = { servers: new Map() }));
      return g;
    };
    for (const row of table.rows) {
      const svname = row[sv]!;
      // `type` is authoritative (a server may be called FRONTEND); 1.3-era CSV has none.
      const kind = type !== undefined && row[type] !== "" ? row[type] : svname === "FRONTEND" ? "0" : svname === "BACKEND" ? "1" : "2";
      if (kind === "0") frontends.set(row[px]!, new Frontend(member, table, row));
      else if (kind === "1") group(row[px]!).row = row;
      else if (kind === "2") {
        const bits = adminBits?.get(`${row[px]}/${svname}`);
        group(row[px]!).servers.set(svname, new Server(member, table, row, bits));
      }
      // kind 3 (listeners) are not modelled.
    }
    const backends = new Map<string, Backend>();
    for (const [name, g] of groups) backends.set(name, new Backend(member, name, g.servers, table, g.row));
    return new Snapshot(member, takenAt, frontends, backends, table, process);
  }

  /** The named backend; throws HC_UNKNOWN_BACKEND naming the member. */
  backend(name: string): Backend {
    const backend = this.backends.get(name);
    if (!backend) {
      const known = [...this.backends.keys()];
      const hint = known.length > 0 && known.length <= 20 ? ` Its backends are: ${known.join(", ")}.` : "";
      throw new HcError("HC_UNKNOWN_BACKEND", `${this.member}: no backend ${name}; check the name.${hint}`, { member: this.member, backend: name });
    }
    return backend;
  }

  /** The named frontend; throws HC_UNKNOWN_BACKEND (a proxy) naming the member. */
  frontend(name: string): Frontend {
    const frontend = this.frontends.get(name);
    if (!frontend) {
      throw new HcError("HC_UNKNOWN_BACKEND", `${this.member}: no frontend ${name}; check the name.`, { member: this.member, backend: name });
    }
    return frontend;
  }

  toJSON(): { member: string; takenAt: string; process?: ProcessIdentity; frontends: unknown[]; backends: unknown[] } {
    return {
      member: this.member,
      takenAt: this.takenAt.toISOString(),
      ...(this.process ? { process: this.process } : {}),
      frontends: [...this.frontends.values()].map((f) => f.toJSON()),
      backends: [...this.backends.values()].map((b) => b.toJSON()),
    };
  }
}
