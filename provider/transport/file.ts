// A saved CSV file as a read-only member: handy for reports, tests of other HAProxy
// versions, and `--eval` experiments on a capture.

import * as fs from "node:fs";
import { HcError } from "../errors";
import type { MemberTarget } from "../member/spec";
import { StatsCsvParser, type StatsTable } from "../stats/csv";
import type { ChangeKind, ServerStateAction, StatsQuery, Transport, Weight } from "./types";

const TYPE_CODES = { frontend: "0", backend: "1", server: "2" } as const;

export class FileTransport implements Transport {
  readonly member: string;
  readonly writable = false;

  constructor(private readonly target: MemberTarget) {
    this.member = target.name;
  }

  async readStats(query: StatsQuery = {}): Promise<StatsTable> {
    const parser = new StatsCsvParser(this.member);
    try {
      for await (const chunk of fs.createReadStream(this.target.path!, { encoding: "utf8", highWaterMark: 256 * 1024 })) {
        parser.write(chunk as string);
      }
    } catch (error) {
      if (error instanceof HcError) throw error;
      throw new HcError("HC_MEMBER_UNREACHABLE", `${this.member}: cannot read the file (${(error as NodeJS.ErrnoException).code ?? String(error)}); check the path.`, { member: this.member }, { cause: error });
    }
    const table = parser.end();
    if (query.proxy === undefined && !query.types) return table;
    // A file cannot be asked for less, so filter here to behave like the live transports.
    const px = table.index.get("pxname")!;
    const type = table.index.get("type");
    const sv = table.index.get("svname")!;
    const wanted = new Set<string>((query.types ?? ["frontend", "backend", "server"]).map((t) => TYPE_CODES[t]));
    const rowType = (row: readonly string[]): string =>
      type !== undefined && row[type] !== "" ? row[type]! : row[sv] === "FRONTEND" ? "0" : row[sv] === "BACKEND" ? "1" : "2";
    return { ...table, rows: table.rows.filter((row) => (query.proxy === undefined || row[px] === query.proxy) && wanted.has(rowType(row))) };
  }

  async act(backend: string, _servers: readonly string[], action: ServerStateAction): Promise<void> {
    throw this.readOnly(`${action} on ${backend}`);
  }

  async setWeight(backend: string, _servers: readonly string[], _weight: Weight): Promise<void> {
    throw this.readOnly(`set weight on ${backend}`);
  }

  refusal(change: ChangeKind, backend: string): HcError {
    return this.readOnly(`${change === "weight" ? "set weight" : "a state change"} on ${backend}`);
  }

  async close(): Promise<void> {}

  private readOnly(what: string): HcError {
    return new HcError("HC_READ_ONLY", `${this.member}: a saved CSV file cannot be changed (${what}); act on the live HAProxy instead.`, { member: this.member });
  }
}
