// The --json report of a failed add-server, remove-server or set-address: the HC_* code,
// each member's outcome as the error tells it, and what each member shows now, read
// again, so that what was left changed is reported as it is, not as it was meant to be.

import type { Cluster } from "../../cluster/cluster";
import type { ServerActionReport } from "../../cluster/actions";
import { describe } from "../../cluster/transitions";
import { HcPartialFailure, isHcError, type HcError } from "../../errors";

/** One member after the failure. */
export interface MemberOutcome {
  member: string;
  /** `failed`: named by the error; `done`: its part of `step` went through; `unchanged`: neither (nothing was done there, or it was undone). */
  outcome: "failed" | "done" | "unchanged";
  error?: { code: string; message: string };
  /** The server there now: its status (`MAINT`, `DOWN (drain)`…) and address, `absent`, or why it could not be read. */
  now: { status: string; address?: string } | { status: "absent" } | { unreadable: string };
}

export interface ServerChangeFailure {
  command: string;
  backend: string;
  server: string;
  /** The step that failed: the command's own change, or the server action under it (`drain`, `maint`, `ready`). */
  step: string;
  error: { code: string; message: string };
  members: MemberOutcome[];
}

/** The report of `error` thrown by `command` on `cluster`, after reading the server again on every member. */
export async function serverChangeFailure(command: string, cluster: Cluster, backend: string, server: string, error: unknown): Promise<ServerChangeFailure> {
  const top = isHcError(error) ? error : undefined;
  const code = top?.code ?? "HC_INTERNAL";
  const failed = new Map<string, HcError>();
  const done = new Set<string>();
  const report = top?.details.report as ServerActionReport | undefined;
  if (report) {
    for (const r of report.results) {
      if (r.ok) done.add(r.member);
      else if (r.error) failed.set(r.member, r.error);
    }
  }
  if (error instanceof HcPartialFailure) {
    for (const [member, e] of error.failures) failed.set(member, e);
    for (const member of error.succeeded) done.add(member);
  }
  // A refusal before any change names its members (one or several).
  const named = [top?.details.member, ...((top?.details.members as unknown[] | undefined) ?? [])].filter((m): m is string => typeof m === "string");
  for (const member of named) if (!failed.has(member) && top) failed.set(member, top);

  const read = await cluster.snapshot({ backend });
  const members = cluster.memberNames.map((member): MemberOutcome => {
    const e = failed.get(member);
    const outcome = e ? "failed" : done.has(member) ? "done" : "unchanged";
    return { member, outcome, ...(e ? { error: { code: e.code, message: e.message } } : {}), now: shown(read, member, backend, server) };
  });
  const message = error instanceof Error ? error.message : String(error);
  return { command, backend, server, step: report?.action ?? command, error: { code, message }, members };
}

function shown(read: Awaited<ReturnType<Cluster["snapshot"]>>, member: string, backend: string, server: string): MemberOutcome["now"] {
  const snap = read.snapshots.get(member);
  if (!snap) return { unreadable: read.errors.get(member)?.message ?? "no answer" };
  const s = snap.backends.get(backend)?.servers.get(server);
  if (!s) return { status: "absent" };
  const address = s.cell("addr");
  return { status: describe(s.status.raw, s.admin), ...(address ? { address } : {}) };
}
