// `status`: every server on every member, one table per backend, with the places where
// members disagree flagged. For people by default, one JSON document with --json.

import { DEFAULTS } from "../../policy";
import type { ClusterSnapshot } from "../../cluster/cluster-snapshot";
import type { Server } from "../../model/server";
import { stringList, type CommandSpec } from "../args";
import type { Context } from "../context";
import { Exit, type ExitCode } from "../exit";
import { legend, memberLabels, sameProcessWarnings } from "../members";
import { formatPercent, formatTable, type Output } from "../output";
import { backendsWithServers, cellText } from "../servers-shown";

export const spec: CommandSpec = {
  name: "status",
  summary: "show each server's status on every member, a table per backend",
  usage: `Usage: haproxy-cluster status [--backend B]... [--json] MEMBER...

Reads every member at once and prints, per backend, a table: one row per server, one
column per member (m1, m2… as listed at the top), and a last column that says
"disagree" when members do not agree on whether the server serves, on its admin
state, or on having it at all (a server added at run time on some members only, or
forgotten by a reload: add-server … MEMBER adds it there again). A cell is HAProxy's
status (UP, DOWN 1/2, no check, DRAIN, MAINT…), with (drain) or (maint) added when
the status hides the admin state, and (weight 0) for a server set to weight 0 (it
takes no new traffic); "-" when the member has no such server or backend, "?" when
the member could not be read. Old workers (a master socket's, after a reload) get
columns of their own, labelled from their member (m1_old1). A line per backend gives
serving/total per member (serving: ready, health up or no check, not failing checks,
weight above 0).
A member whose HAProxy process started less than 5 minutes ago gets a line saying it
was just reloaded (or restarted): runtime changes made before then (drain, maint,
weight) are gone unless its configuration loads a saved server state, and servers
added at run time are gone in any case. Members answered
by one HAProxy process (its unix and TCP sockets, localhost and 127.0.0.1…) get a
warning on stderr naming them.

Options:
  --backend B        only this backend (repeatable); default every backend with servers
  --json             one JSON document on stdout: the snapshot of every member plus a
                     summary per backend
  --timeout SECONDS  deadline of the whole command (default ${DEFAULTS.requestTimeoutSeconds}, as
                     --request-timeout): each member is read once, all at once

Exit status: 0 when every member was read, 3 when any could not be (what was read is
still printed; the errors go to stderr).`,
  options: {
    backend: { type: "string", multiple: true },
    json: { type: "boolean" },
    timeout: { type: "string" },
  },
};

export interface BackendSummaryRow {
  member: string;
  label: string;
  serving: number;
  total: number;
  percent: number;
  sessions: number;
  backlog: number;
}

export async function run(ctx: Context): Promise<ExitCode> {
  const cluster = await ctx.cluster();
  const wanted = stringList(ctx.values, "backend");
  const snap = await cluster.snapshot(wanted.length === 1 ? { backend: wanted[0] } : {});
  const names = wanted.length > 0 ? wanted : backendsWithServers(snap);
  const problems = [...snap.errors.values()].map((e) => e.message);
  for (const name of names) {
    for (const s of snap.snapshots.values()) {
      if (!s.backends.has(name)) {
        try {
          s.backend(name);
        } catch (error) {
          problems.push((error as Error).message);
        }
      }
    }
  }

  if (ctx.json) {
    const doc = { ...(snap.toJSON() as object), complete: problems.length === 0, backends: names.map((n) => ({ name: n, members: summaries(snap, n), disagree: disagreements(snap, n) })) };
    ctx.out.data(JSON.stringify(doc, null, 2));
  } else {
    printTables(ctx.out, snap, names);
    for (const line of reloadNotes(snap)) ctx.out.data(line);
  }
  for (const p of problems) ctx.out.error(p);
  for (const w of sameProcessWarnings(snap)) ctx.out.warn(w);
  return problems.length === 0 ? Exit.OK : Exit.UNKNOWN;
}

/** A process younger than this was just reloaded or restarted: worth a line in `status`. */
export const JUST_RELOADED_SECONDS = 300;

/** "m2 was reloaded or restarted 12 s ago (PID 456): …" for each member whose process is young. */
export function reloadNotes(snap: ClusterSnapshot): string[] {
  const labels = memberLabels(snap);
  const notes: string[] = [];
  for (const member of snap.members) {
    const process = snap.snapshots.get(member)?.process;
    if (!process || process.uptimeSeconds >= JUST_RELOADED_SECONDS) continue;
    notes.push(
      `${labels.get(member)} was reloaded or restarted ${process.uptimeSeconds} s ago (PID ${process.pid}): server states come from its configuration; drains, maint and weights set before then are gone unless it loads a saved server state, and servers added at run time are gone in any case (see "Reloads" in docs/production.md).`,
    );
  }
  return notes.length > 0 ? ["", ...notes] : [];
}

export function summaries(snap: ClusterSnapshot, backend: string): BackendSummaryRow[] {
  const labels = memberLabels(snap);
  const rows: BackendSummaryRow[] = [];
  for (const member of snap.members) {
    const be = snap.snapshots.get(member)?.backends.get(backend);
    if (be) rows.push({ member, label: labels.get(member)!, ...be.capacity, sessions: be.sessions, backlog: be.backlog });
  }
  return rows;
}

/** Servers on which the members that have the backend disagree (serving, admin state, or presence). */
function disagreements(snap: ClusterSnapshot, backend: string): string[] {
  const out: string[] = [];
  for (const server of serverNames(snap, backend)) {
    const seen = new Set<string>();
    for (const s of snap.snapshots.values()) {
      const be = s.backends.get(backend);
      if (!be) continue;
      const sv = be.servers.get(server);
      seen.add(sv ? `${sv.serving}|${sv.admin}` : "absent");
    }
    if (seen.size > 1) out.push(server);
  }
  return out;
}

/** Server names over every member, in first-seen order (a Set: 100,000 servers stay linear). */
function serverNames(snap: ClusterSnapshot, backend: string): string[] {
  const names = new Set<string>();
  for (const member of snap.members) for (const name of snap.snapshots.get(member)?.backends.get(backend)?.servers.keys() ?? []) names.add(name);
  return [...names];
}

function printTables(out: Output, snap: ClusterSnapshot, backends: string[]): void {
  const labels = memberLabels(snap);
  for (const line of legend(snap)) out.data(line);
  for (const backend of backends) {
    out.data("");
    const disagree = new Set(disagreements(snap, backend));
    const rows: string[][] = [[out.paint("bold", backend), ...snap.members.map((m) => out.paint("bold", labels.get(m)!)), ""]];
    for (const server of serverNames(snap, backend)) {
      const cells = snap.members.map((member) => {
        if (!snap.snapshots.has(member)) return lacksBackend(snap, member) ? "-" : "?";
        const be = snap.snapshots.get(member)!.backends.get(backend);
        const sv = be?.servers.get(server);
        return sv ? paintCell(out, sv) : "-";
      });
      rows.push([server, ...cells, disagree.has(server) ? out.paint("red", "disagree") : ""]);
    }
    for (const line of formatTable(rows)) out.data(line);
    const parts = snap.members.map((member) => {
      const be = snap.snapshots.get(member)?.backends.get(backend);
      if (!snap.snapshots.has(member)) return `${labels.get(member)} ${lacksBackend(snap, member) ? "no such backend" : "unreadable"}`;
      if (!be) return `${labels.get(member)} no such backend`;
      const { serving, total, percent } = be.capacity;
      return `${labels.get(member)} ${serving}/${total} (${formatPercent(percent)}%)`;
    });
    out.data(`serving: ${parts.join(", ")}`);
  }
}

/** A read of one backend fails as a whole when the member lacks it: the member answered, it is no outage. */
function lacksBackend(snap: ClusterSnapshot, member: string): boolean {
  return snap.errors.get(member)?.code === "HC_UNKNOWN_BACKEND";
}

function paintCell(out: Output, server: Server): string {
  const text = cellText(server);
  if (server.serving) return out.paint("green", text);
  if (server.admin !== "ready" || server.weight === 0) return out.paint("yellow", text);
  return out.paint("red", text);
}
