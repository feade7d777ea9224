// `--host`: an action on every backend of every member where a host (a server name or an
// address) appears, through the same pipeline as the plain form; `--dry-run` prints the
// plan and answers as the real run would, changing nothing.

import type { ClusterServerAction, HostPlan, ServerActionReport } from "../../cluster/actions";
import type { Context } from "../context";
import { Exit, UsageError, type ExitCode } from "../exit";
import { actionSettings, tellProgress } from "./action-apply";
import { failed, jsonReport, printResults } from "./action-report";

/** `--host`: the action on every backend of every member where the host appears; `--dry-run` prints the plan only. */
export async function runForHost(ctx: Context, action: ClusterServerAction, hosts: string[]): Promise<ExitCode> {
  if (hosts.length > 1) throw new UsageError(`${action} takes one --host, got ${hosts.length}.`);
  if (ctx.values.backend !== undefined || ctx.values.server !== undefined) throw new UsageError("give either --host or --backend and --server, not both.");
  if (ctx.flag("sessions") || ctx.values["sessions-timeout"] !== undefined || ctx.flag("shutdown-sessions") || ctx.flag("proceed")) {
    throw new UsageError("--sessions and its options need --backend and --server; with --host, drain first, then wait per backend.");
  }
  const host = hosts[0]!;
  const settings = actionSettings(ctx, action);
  const allowPartial = ctx.flag("allow-partial");
  const cluster = await ctx.cluster();
  const { planHostAction, checkHostPlan, guardAction, applyHostAction } = await import("../../cluster/actions");

  const plan = await planHostAction(cluster, host);
  const gaps = [...plan.missingOn.map((m) => `${m}: ${host} not found`), ...[...plan.unreadable].map(([m, e]) => `${m}: could not be read: ${e.message}`)];
  if (ctx.flag("dry-run")) {
    if (ctx.json) ctx.out.data(JSON.stringify({ host, action, plan: plan.targets, foundOn: plan.foundOn, missingOn: plan.missingOn, unreadable: [...plan.unreadable.keys()] }, null, 2));
    else ctx.out.data(planTable(plan.targets));
    for (const gap of gaps) ctx.out.warn(gap);
    // A dry run answers as the real run would: the same refusals, nothing changed.
    checkHostPlan(plan, allowPartial);
    guardAction(action, plan.snapshot, plan.targets, settings, plan.foundOn);
    ctx.out.info(`dry run: ${action} would apply to ${plan.targets.length} backend(s) on ${plan.foundOn.length} member(s); nothing changed.`);
    return reportUnreadMembers(ctx, plan, `${action} --host ${host} would act`);
  }
  for (const gap of gaps) ctx.out.warn(gap);
  let report: ServerActionReport;
  try {
    ({ report } = await applyHostAction(cluster, plan, action, { ...settings, allowPartial, ...tellProgress(ctx) }));
  } catch (error) {
    return failed(ctx, action, error, ["--host", host]);
  }
  printResults(ctx, report);
  if (ctx.json) ctx.out.data(JSON.stringify({ host, ...jsonReport(report), ...(plan.unreadable.size > 0 ? { unreadable: [...plan.unreadable.keys()] } : {}) }, null, 2));
  return reportUnreadMembers(ctx, plan, `${action} --host ${host} acted`);
}

/**
 * --allow-partial acts where the host was found; a member that could not be read was not
 * acted on and nothing is known of it, which is no success: name it and exit 3.
 */
function reportUnreadMembers(ctx: Context, plan: Pick<HostPlan, "host" | "foundOn" | "unreadable">, did: string): ExitCode {
  if (plan.unreadable.size === 0) return Exit.OK;
  const skipped = [...plan.unreadable.keys()];
  ctx.out.error(`${did} on ${plan.foundOn.join(", ")} only: ${skipped.join(", ")} could not be read, so whether ${plan.host} is there, and in what state, is unknown; run the same command for ${skipped.join(" ")} once it answers.`);
  return Exit.UNKNOWN;
}

/** The plan as a table: one line per member, backend and server. */
function planTable(targets: ServerActionReport["targets"]): string {
  const rows = [["MEMBER", "BACKEND", "SERVER"], ...targets.flatMap((t) => t.servers.map((s) => [t.member, t.backend, s]))];
  const widths = [0, 1].map((i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => `${r[0]!.padEnd(widths[0]!)}  ${r[1]!.padEnd(widths[1]!)}  ${r[2]}`).join("\n");
}
