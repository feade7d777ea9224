// `check`: a Nagios/monitoring-plugins plugin. One status line with perfdata on stdout,
// the exit code is the state, and "could not tell" is always UNKNOWN.

import type { ClusterSnapshot } from "../../cluster/cluster-snapshot";
import { DEFAULTS } from "../../policy";
import { numberOption, stringList, type CommandSpec } from "../args";
import type { Context } from "../context";
import { Exit, STATE_NAMES, UsageError, type ExitCode } from "../exit";
import { givenMembers, memberLabels, sameProcessWarnings } from "../members";
import { formatPercent } from "../output";
import { backendsWithServers } from "../servers-shown";

export const spec: CommandSpec = {
  name: "check",
  summary: "Nagios plugin: is enough of each backend serving on every member?",
  usage: `Usage: haproxy-cluster check [--backend B]... [--warning P] [--critical P] MEMBER...

Prints one line, monitoring-plugins style:
  HAPROXY-CLUSTER <STATE> - <summary> | <perfdata>
e.g.
  HAPROXY-CLUSTER OK - myapp: 3/3 serving on 2 members | 'm1_myapp_serving'=3;;;0;3 …

The state is the worst over every backend and member, judged on the percentage of a
backend's capacity servers (its active servers; backups only when it has no other)
that are serving:
  OK        every member serves at least --warning percent
  WARNING   the lowest is below --warning but at least --critical
  CRITICAL  the lowest is below --critical, or a member has no server of the backend
            serving while it has servers
  UNKNOWN   a member could not be read, or a backend is unknown on a member

Members are labelled m1, m2… in the order given: the summary and the perfdata labels
use these labels. A second line maps each label to its member ("m1=unix:/…") when the
state is not OK, or always with --verbose. Old workers (a master socket's, after a
reload) take no new connections and come and go with reloads: they are neither judged
nor graphed, so labels and graphs stay those of the members given. Members answered
by one HAProxy process (its unix and TCP sockets, localhost and 127.0.0.1…) get a
warning on stderr naming them; each still counts as a member. Perfdata per backend
and member:
  'mN_B_serving'=S;;;0;T           servers serving (T: capacity servers)
  'mN_B_serving_pct'=P%;W:;C:;0;100  percent serving, with the thresholds as ranges
  'mN_B_sessions'=N;;;0            current sessions
  'mN_B_backlog'=N;;;0             requests queued for a server

Options:
  --backend B        check this backend (repeatable); default every backend with servers
  --warning P        percent serving below which the state is WARNING (default ${DEFAULTS.thresholdPercent})
  --critical P       percent serving below which the state is CRITICAL (default ${DEFAULTS.criticalPercent})
  --timeout SECONDS  deadline of the whole command (default ${DEFAULTS.requestTimeoutSeconds}, as
                     --request-timeout): each member is read once, all at once

Exit status: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.`,
  options: {
    backend: { type: "string", multiple: true },
    warning: { type: "string" },
    critical: { type: "string" },
    timeout: { type: "string" },
  },
};

/** The one line a monitoring system reads. */
export function statusLine(state: ExitCode, summary: string, perfdata: string[] = []): string {
  const text = summary.replace(/\|/g, "/").replace(/\s*\n\s*/g, " ");
  return `HAPROXY-CLUSTER ${STATE_NAMES[state]} - ${text}${perfdata.length > 0 ? ` | ${perfdata.join(" ")}` : ""}`;
}

export async function run(ctx: Context): Promise<ExitCode> {
  const warning = numberOption(ctx.values, "warning", { min: 0, max: 100 }) ?? DEFAULTS.thresholdPercent;
  const critical = numberOption(ctx.values, "critical", { min: 0, max: 100 }) ?? DEFAULTS.criticalPercent;
  if (critical > warning) throw new UsageError(`--critical (${critical}) must not be above --warning (${warning}): the state gets worse as fewer servers serve.`);
  const wanted = stringList(ctx.values, "backend");
  const cluster = await ctx.cluster();
  // One read; the process identity (a parallel `show info`) tells one HAProxy given twice.
  const snap = await cluster.snapshot(wanted.length === 1 ? { backend: wanted[0] } : { types: ["backend", "server"] });
  const labels = memberLabels(snap);
  const members = givenMembers(snap);
  const backends = wanted.length > 0 ? wanted : backendsWithServers(snap);
  const perfdata = perfdataFor(snap, members, backends, labels, warning, critical);

  const problems = [...snap.errors.values()].map((e) => e.message);
  for (const name of backends) {
    for (const member of members) {
      const s = snap.snapshots.get(member);
      if (!s || s.backends.has(name)) continue;
      try {
        s.backend(name);
      } catch (error) {
        problems.push((error as Error).message);
      }
    }
  }
  if (problems.length === 0 && backends.length === 0) problems.push("no backend with servers was found on any member; name one with --backend.");

  let state: ExitCode = Exit.OK;
  let summary: string;
  if (problems.length > 0) {
    state = Exit.UNKNOWN;
    summary = problems.join(" ");
  } else {
    const parts: string[] = [];
    for (const backend of backends) {
      const groups = new Map<string, { serving: number; total: number; percent: number; members: string[] }>();
      for (const member of members) {
        const { serving, total, percent } = snap.snapshots.get(member)!.backend(backend).capacity;
        let here: ExitCode = Exit.OK;
        if ((total > 0 && serving === 0) || percent < critical) here = Exit.CRITICAL;
        else if (percent < warning) here = Exit.WARNING;
        state = Math.max(state, here) as ExitCode;
        const key = `${serving}/${total}`;
        const g = groups.get(key) ?? { serving, total, percent, members: [] };
        g.members.push(labels.get(member)!);
        groups.set(key, g);
      }
      const sorted = [...groups.values()].sort((a, b) => a.percent - b.percent);
      if (sorted.length === 1) {
        const g = sorted[0]!;
        const n = g.members.length;
        parts.push(`${backend}: ${g.serving}/${g.total} serving${g.percent < 100 ? ` (${formatPercent(g.percent)}%)` : ""} on ${n === 1 ? "1 member" : `${n} members`}`);
      } else {
        parts.push(`${backend}: ${sorted.map((g, i) => `${g.serving}/${g.total}${i === 0 ? " serving" : ""} (${formatPercent(g.percent)}%) on ${g.members.join(",")}`).join(", ")}`);
      }
    }
    summary = parts.join("; ");
  }

  ctx.out.data(statusLine(state, summary, perfdata));
  if (state !== Exit.OK || ctx.out.verbose) ctx.out.data(members.map((m) => `${labels.get(m)}=${m}`).join(" "));
  for (const p of problems) ctx.out.error(p);
  for (const w of sameProcessWarnings(snap)) ctx.out.warn(w);
  return state;
}

function perfdataFor(snap: ClusterSnapshot, members: readonly string[], backends: string[], labels: Map<string, string>, warning: number, critical: number): string[] {
  const out: string[] = [];
  for (const backend of backends) {
    const safe = backend.replace(/[^A-Za-z0-9_.-]/g, "_");
    for (const member of members) {
      const be = snap.snapshots.get(member)?.backends.get(backend);
      if (!be) continue;
      const prefix = `${labels.get(member)}_${safe}`;
      const { serving, total, percent } = be.capacity;
      out.push(`'${prefix}_serving'=${serving};;;0;${total}`);
      out.push(`'${prefix}_serving_pct'=${formatPercent(percent)}%;${warning}:;${critical}:;0;100`);
      out.push(`'${prefix}_sessions'=${be.sessions};;;0`);
      out.push(`'${prefix}_backlog'=${be.backlog};;;0`);
    }
  }
  return out;
}
