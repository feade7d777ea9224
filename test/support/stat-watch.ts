// Reading and waiting on one HAProxy's `show stat`: rows by name, and polls that report
// every status they passed through when they time out.
import { GiveUp, waitFor } from "./deadline";
import { parseStatCsv, type StatRow } from "./stat-csv";

export interface StatWatch {
  /** `show stat`, parsed by header name. */
  showStat(): Promise<StatRow[]>;
  /** The `show stat` row of one server (or `BACKEND`/`FRONTEND`); throws on unknown names. */
  stat(backend: string, server: string): Promise<StatRow>;
  /** Polls until `predicate(row)` holds for that server's row and returns the row; default timeout 10 s. */
  waitForRow(backend: string, server: string, predicate: (row: StatRow) => boolean, timeoutMs?: number): Promise<StatRow>;
  /** Polls until `predicate(status)` holds and returns that `status` column; default timeout 10 s. */
  waitForStatus(backend: string, server: string, predicate: (status: string) => boolean, timeoutMs?: number): Promise<string>;
}

function findRow(rows: StatRow[], member: string, backend: string, server: string): StatRow {
  const row = rows.find((r) => r.pxname === backend && r.svname === server);
  if (row) return row;
  const known = rows.filter((r) => r.pxname === backend).map((r) => r.svname);
  if (known.length === 0) throw new GiveUp(`haproxy ${member}: no backend ${JSON.stringify(backend)} in show stat`);
  throw new GiveUp(`haproxy ${member}: backend ${backend} has no server ${JSON.stringify(server)} (has ${known.join(", ")})`);
}

export function statWatch(member: string, runtime: (command: string) => Promise<string>): StatWatch {
  const showStat = async () => parseStatCsv(await runtime("show stat"));
  const stat = async (backend: string, server: string) => findRow(await showStat(), member, backend, server);

  const poll = async (backend: string, server: string, wanted: string, predicate: (row: StatRow) => boolean, timeoutMs: number) => {
    await stat(backend, server); // unknown names fail now, not at the deadline
    const seen: string[] = [];
    return waitFor(`haproxy ${member}: ${backend}/${server} ${wanted}`, async (note) => {
      const row = await stat(backend, server);
      const summary = `${JSON.stringify(row.status)} (check ${row.check_status || "none"}, scur ${row.scur})`;
      if (seen[seen.length - 1] !== summary) seen.push(summary);
      note(`${summary}; seen: ${seen.join(" -> ")}`);
      return predicate(row) ? row : undefined;
    }, { timeoutMs });
  };

  return {
    showStat,
    stat,
    waitForRow: (backend, server, predicate, timeoutMs = 10_000) =>
      poll(backend, server, `row to satisfy ${predicate.toString()}`, predicate, timeoutMs),
    waitForStatus: async (backend, server, predicate, timeoutMs = 10_000) =>
      (await poll(backend, server, `status to satisfy ${predicate.toString()}`, (row) => predicate(row.status), timeoutMs)).status,
  };
}
