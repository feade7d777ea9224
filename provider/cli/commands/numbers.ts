// `rate`, `backlog`, `sessions`: one number summed over every member, for scripts and
// graphs. A sum with a member missing would be wrong, so any unreadable member is an error.

import { DEFAULTS } from "../../policy";
import type { SnapshotOptions } from "../../model/member";
import type { ClusterSnapshot } from "../../cluster/cluster-snapshot";
import type { CommandSpec, OptionSpec } from "../args";
import { stringList } from "../args";
import type { Context } from "../context";
import { Exit, UsageError, type ExitCode } from "../exit";
import { sameProcessWarnings } from "../members";

type Metric = "rate" | "backlog" | "sessions";

const COMMON: OptionSpec = {
  "per-member": { type: "boolean" },
  json: { type: "boolean" },
  timeout: { type: "string" },
};

const OUTPUT_HELP = `  --per-member       also print one line per member: MEMBER<TAB>VALUE
  --json             {"total":…, "members":{…}} on stdout instead
  --timeout SECONDS  deadline of the whole command (default ${DEFAULTS.requestTimeoutSeconds}, as
                     --request-timeout): each member is read once, all at once

Prints the total on stdout. Exit status: 0, or 3 when any member could not be read
or the name is unknown (a sum with a member missing would be wrong). Members answered
by one HAProxy process (its unix and TCP sockets, localhost and 127.0.0.1…) get a
warning on stderr naming them: the sum counts every member given, so list it once.`;

export const specs: CommandSpec[] = [
  {
    name: "rate",
    summary: "transactions per second, summed over members",
    usage: `Usage: haproxy-cluster rate [--proxy P] [--per-member] [--json] MEMBER...

Transactions per second over the last second, summed over every member: for a
frontend its HTTP request rate (session rate in TCP mode), for a backend its session
rate; without --proxy the sum over every frontend.

Options:
  --proxy P          a frontend or backend
${OUTPUT_HELP}`,
    options: { ...COMMON, proxy: { type: "string", multiple: true } },
  },
  {
    name: "backlog",
    summary: "requests waiting for a server, summed over members",
    usage: `Usage: haproxy-cluster backlog [--backend B] [--per-member] [--json] MEMBER...

Requests waiting for a server (the backend's queue plus every server's queue), summed
over every member; without --backend over every backend.

Options:
  --backend B        one backend
${OUTPUT_HELP}`,
    options: { ...COMMON, backend: { type: "string", multiple: true } },
  },
  {
    name: "sessions",
    summary: "current sessions, summed over members",
    usage: `Usage: haproxy-cluster sessions [--proxy P] [--per-member] [--json] MEMBER...

Current sessions of a frontend or backend, summed over every member; without --proxy
the sum over every frontend.

Options:
  --proxy P          a frontend or backend
${OUTPUT_HELP}`,
    options: { ...COMMON, proxy: { type: "string", multiple: true } },
  },
];

export async function run(ctx: Context): Promise<ExitCode> {
  const metric = ctx.spec.name as Metric;
  const option = metric === "backlog" ? "backend" : "proxy";
  const names = stringList(ctx.values, option);
  if (names.length > 1) throw new UsageError(`${metric} takes one --${option}; run it once per ${option}.`);
  const name = names[0];
  const cluster = await ctx.cluster();
  const { ClusterSnapshot } = await import("../../cluster/cluster-snapshot");

  // The same reads as Cluster.rate/backlog/sessions, kept per member.
  const read: SnapshotOptions =
    metric === "backlog" ? (name !== undefined ? { backend: name } : { types: ["backend", "server"] }) : name === undefined ? { types: ["frontend"] } : {};
  // The process identity (a parallel `show info`) tells one HAProxy given twice, which the sum counts twice.
  const snap = await cluster.snapshot(read);
  if (!snap.complete) {
    for (const e of snap.errors.values()) ctx.out.error(e.message);
    ctx.out.error(`no ${metric} printed: ${snap.errors.size} of ${snap.members.length} members could not be read, and a sum without them would be wrong.`);
    return Exit.UNKNOWN;
  }
  const perMember = new Map<string, number>();
  for (const member of snap.members) {
    const one: ClusterSnapshot = new ClusterSnapshot([member], new Map([[member, snap.snapshots.get(member)!]]), new Map());
    perMember.set(member, metric === "rate" ? one.rate(name) : metric === "backlog" ? one.backlog(name) : one.sessions(name));
  }
  let total = 0;
  for (const v of perMember.values()) total += v;
  for (const w of sameProcessWarnings(snap)) ctx.out.warn(w);

  if (ctx.json) {
    ctx.out.data(JSON.stringify({ metric, [option]: name ?? null, total, members: Object.fromEntries(perMember) }));
  } else {
    ctx.out.data(String(total));
    if (ctx.flag("per-member")) for (const [member, v] of perMember) ctx.out.data(`${member}\t${v}`);
  }
  return Exit.OK;
}
