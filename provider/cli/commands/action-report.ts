// How a server action's outcome is told: a line per member, the JSON report, and for a
// failure where it changed and how to undo or retry it. Shared by the plain actions, the
// host-wide form and the held restart.

import { actionRow } from "../../action-table";
import type { ClusterServerAction, ServerActionReport } from "../../cluster/actions";
import type { Context } from "../context";
import { Exit, exitCodeFor, type ExitCode } from "../exit";

/** Reports a failed action: where it changed, and how to undo or retry; errors without a report go to main's handler. */
export async function failed(ctx: Context, action: ClusterServerAction, error: unknown, select: string[]): Promise<ExitCode> {
  const { isHcError, HcPartialFailure } = await import("../../errors");
  const partial = isHcError(error) ? (error.details.report as ServerActionReport | undefined) : undefined;
  if (partial && ctx.json && isHcError(error)) ctx.out.data(JSON.stringify({ ...jsonReport(partial), error: { code: error.code, message: error.message } }, null, 2));
  const retry = `haproxy-cluster ${[action, ...select].join(" ")}`;
  if (error instanceof HcPartialFailure && partial) {
    printResults(ctx, partial);
    const target = `${select.join(" ")} ${partial.changed.join(" ")}`;
    const undo = actionRow(action).undo;
    const goBack = undo ? `To go back, run haproxy-cluster ${undo.replace("TARGET", target)}; or f` : "F";
    const advice = partial.changed.length === 0 ? `Fix the cause and run ${retry} again.` : `${goBack}ix the failing members and run ${retry} again (it is safe to repeat).`;
    ctx.out.error(`${error.message} ${advice}`);
    return Exit.UNKNOWN;
  }
  if (isHcError(error, "HC_WAIT_DEADLINE") && partial) {
    printResults(ctx, partial);
    const left =
      action === "ready" || action === "enable"
        ? "The servers are set to ready on every member and will take traffic once their health checks pass; fix them and run the same command again to wait."
        : `The change is applied on ${partial.changed.join(", ")}.`;
    ctx.out.error(`${error.message} ${left}`);
    return exitCodeFor(error);
  }
  throw error;
}

export function printResults(ctx: Context, report: ServerActionReport): void {
  for (const r of report.results) {
    const subject = report.targets
      .filter((t) => t.member === r.member)
      .map((t) => `${t.backend}/${t.servers.join(",")}`)
      .join(", ");
    if (r.ok) {
      const fresh = r.forcedFreshChecks ? ` (health forced down until fresh checks pass: ${r.forcedFreshChecks.join(", ")})` : "";
      // The reply was lost but the member, read again, shows the change: say both.
      const lost = r.recoveredFrom ? ` (its reply was lost: ${r.recoveredFrom.replace(/\.$/, "")}; read again, it shows ${Object.values(r.stateAfter ?? {}).join(", ")})` : "";
      ctx.out.info(`${r.member}: ${subject} ${actionRow(report.action).done}${fresh}${lost}${report.waited ? ", confirmed" : ""}`);
    } else {
      const now = r.stateAfter ? ` (read again: ${Object.entries(r.stateAfter).map(([n, st]) => `${n} ${st}`).join(", ")})` : r.stateUnknown ? " (its state is unknown now: check with haproxy-cluster status)" : "";
      ctx.out.error(`${r.member}: ${subject} NOT ${actionRow(report.action).done}${now}: ${r.error?.message ?? "failed"}`);
    }
  }
}

export function jsonReport({ hold, ...report }: ServerActionReport): object {
  return {
    ...report,
    ...(hold && hold.warnings.length > 0 ? { reloadWarnings: hold.warnings } : {}),
    results: report.results.map((r) => ({ ...r, error: r.error ? { code: r.error.code, message: r.error.message } : undefined })),
  };
}
