// A frontend as one member sees it: how much traffic arrives.

import { StatsRow } from "./server";
import type { StatsTable } from "../stats/csv";

export class Frontend extends StatsRow {
  readonly name: string;
  readonly member: string;

  constructor(member: string, table: StatsTable, row: readonly string[]) {
    super(table, row);
    this.member = member;
    this.name = this.cell("pxname")!;
  }

  /** HTTP requests per second over the last second (`req_rate`; absent before HAProxy 1.4 and in TCP mode). */
  get requestRate(): number | undefined {
    return this.int("req_rate");
  }
  /** Sessions per second over the last second (`rate`). */
  get sessionRate(): number | undefined {
    return this.int("rate");
  }
  /** Current sessions (`scur`). */
  get sessions(): number | undefined {
    return this.int("scur");
  }
  get status(): string | undefined {
    return this.cell("status");
  }

  toJSON(): { member: string; name: string; status?: string; requestRate?: number; sessionRate?: number; sessions?: number } {
    return { member: this.member, name: this.name, status: this.status, requestRate: this.requestRate, sessionRate: this.sessionRate, sessions: this.sessions };
  }
}
