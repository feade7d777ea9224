// Server actions on every member at once: drain, maint, ready, enable, disable, weight,
// shutdown-sessions. Each member's result is reported; a partial result says where the
// change happened and how to undo or retry it.

import type { ClusterServerAction, DrainSessionsResult, ServerActionReport } from "../../cluster/server-actions";
import type { WaitProgress } from "../../cluster/cluster";
import type { Weight } from "../../transport/types";
import { numberOption, requireOne, stringList, type CommandSpec, type OptionSpec } from "../args";
import type { Context } from "../context";
import { Exit, UsageError, type ExitCode } from "../exit";
import { progressLine } from "./wait";

const TARGET = `  --backend B          the backend
  --server S           a server of it (repeatable)`;
const WAIT = `  --wait               wait until every member shows the new state
  --timeout SECONDS    deadline of that wait (default 120); the deadline of one request
                       is --request-timeout`;
const JSON_HELP = `  --json               the per-member report as JSON on stdout`;
const EXIT = `Exit status: 0 done; 2 the wait reached its deadline (the change stays applied);
3 a member failed or could not be read (the message says where it changed and how
to undo or retry).`;

const TARGET_OPTIONS: OptionSpec = {
  backend: { type: "string", multiple: true },
  server: { type: "string", multiple: true },
  json: { type: "boolean" },
};
const WAIT_OPTIONS: OptionSpec = { wait: { type: "boolean" }, timeout: { type: "string" } };

function stateSpec(name: string, summary: string, text: string, extra = ""): CommandSpec {
  return {
    name,
    summary,
    timeoutIsDeadline: true,
    usage: `Usage: haproxy-cluster ${name} --backend B --server S [--server S2]... [--wait] [--timeout SECONDS] [--json]${extra ? " [...]" : ""} MEMBER...

${text}

Options:
${TARGET}
${WAIT}
${JSON_HELP}${extra}

${EXIT}`,
    options: { ...TARGET_OPTIONS, ...WAIT_OPTIONS },
  };
}

const READY_TEXT = `Puts the servers back in rotation on every member. A server with health checks that
comes back from drain or maint first has its health verdict forced down, so it takes
traffic only after fresh checks pass (HAProxy keeps an old UP verdict across a restart
shorter than fall × inter). With --wait, success means every member shows every
server serving on such fresh checks.`;

export const specs: CommandSpec[] = [
  (() => {
    const s = stateSpec(
      "drain",
      "drain servers on every member (--sessions: wait for their sessions to end)",
      "Drains the servers on every member: no new sessions, current ones continue.",
      `
  --sessions           then wait until the servers have no session and no queued request
                       on any member
  --sessions-timeout SECONDS  deadline of that wait (default 60); at the deadline:
                       fail with exit 2, the servers staying drained (default), or
  --shutdown-sessions  kill the remaining sessions and succeed, or
  --proceed            succeed with a warning naming the sessions left`,
    );
    s.options = { ...s.options, sessions: { type: "boolean" }, "sessions-timeout": { type: "string" }, "shutdown-sessions": { type: "boolean" }, proceed: { type: "boolean" } };
    return s;
  })(),
  stateSpec("maint", "put servers in maintenance on every member", "Puts the servers in maintenance on every member: no traffic, no health checks."),
  stateSpec("disable", "maint, by the original tool's name", "The original tool's name for maint: puts the servers in maintenance on every member."),
  stateSpec("ready", "put servers back in rotation on every member, on fresh health checks", READY_TEXT),
  stateSpec("enable", "ready, by the original tool's name", `The original tool's name for ready.\n\n${READY_TEXT}`),
  {
    name: "weight",
    summary: "set servers' weight on every member (Runtime API members)",
    usage: `Usage: haproxy-cluster weight --backend B --server S [--server S2]... --weight W [--json] MEMBER...

Sets the weight of the servers on every member: 0 to 256, or N% of the configured
weight. Needs the Runtime API (unix: or tcp:// members): the stats page cannot.

Options:
${TARGET}
  --weight W           0-256 or N%
${JSON_HELP}

${EXIT}`,
    options: { ...TARGET_OPTIONS, weight: { type: "string" } },
  },
  {
    name: "shutdown-sessions",
    summary: "kill the current sessions of servers on every member",
    usage: `Usage: haproxy-cluster shutdown-sessions --backend B --server S [--server S2]... [--json] MEMBER...

Kills every current session of the servers on every member (HAProxy's
\`shutdown sessions server\`).

Options:
${TARGET}
${JSON_HELP}

${EXIT}`,
    options: { ...TARGET_OPTIONS },
  },
];

const DONE: Record<ClusterServerAction, string> = {
  drain: "drained",
  maint: "in maintenance",
  disable: "in maintenance",
  ready: "ready",
  enable: "ready",
  weight: "weight set",
  "shutdown-sessions": "sessions shut down",
};

/** How to undo an action on the members where it happened; TARGET is the backend, servers and members. */
const UNDO: Partial<Record<ClusterServerAction, string>> = {
  drain: "ready TARGET",
  maint: "ready TARGET",
  disable: "ready TARGET",
  ready: "drain TARGET (or maint, as they were)",
  enable: "drain TARGET (or maint, as they were)",
  weight: "weight TARGET --weight <the previous weight>",
};

export async function run(ctx: Context): Promise<ExitCode> {
  const action = ctx.spec.name as ClusterServerAction;
  const backend = requireOne(ctx.values, "backend", action);
  const servers = stringList(ctx.values, "server");
  if (servers.length === 0) throw new UsageError(`${action} needs --server S; run haproxy-cluster ${action} --help.`);
  const weight = action === "weight" ? parseWeight(ctx.values.weight) : undefined;
  const timeoutSeconds = numberOption(ctx.values, "timeout", { above: 0 });
  const sessions = ctx.flag("sessions") || ctx.values["sessions-timeout"] !== undefined || ctx.flag("shutdown-sessions") || ctx.flag("proceed");
  const sessionsTimeoutSeconds = numberOption(ctx.values, "sessions-timeout", { above: 0 }) ?? 60;
  if (ctx.flag("shutdown-sessions") && ctx.flag("proceed")) throw new UsageError("choose one of --shutdown-sessions and --proceed: what happens when sessions remain at the deadline.");

  const cluster = await ctx.cluster();
  const { applyServerAction, waitForSessions } = await import("../../cluster/server-actions");
  const { isHcError, HcPartialFailure } = await import("../../errors");
  const onProgress = (p: WaitProgress) => ctx.out.info(progressLine(ctx.out, p));
  const subject = `${backend}/${servers.join(",")}`;
  const retry = `haproxy-cluster ${[action, "--backend", backend, ...servers.flatMap((s) => ["--server", s])].join(" ")}`;

  let report: ServerActionReport;
  try {
    report = await applyServerAction(cluster, backend, servers, action, {
      wait: ctx.flag("wait"),
      timeoutSeconds,
      weight,
      onProgress,
      onTransition: (t) => ctx.out.info(t.message),
    });
  } catch (error) {
    const partial = isHcError(error) ? (error.details.report as ServerActionReport | undefined) : undefined;
    if (partial && ctx.json && isHcError(error)) ctx.out.data(JSON.stringify({ ...jsonReport(partial), error: { code: error.code, message: error.message } }, null, 2));
    if (error instanceof HcPartialFailure && partial) {
      printResults(ctx, partial, subject);
      const target = `--backend ${backend} ${servers.map((s) => `--server ${s}`).join(" ")} ${partial.changed.join(" ")}`;
      const undo = UNDO[action];
      const goBack = undo ? `To go back, run haproxy-cluster ${undo.replace("TARGET", target)}; or f` : "F";
      const advice = partial.changed.length === 0 ? `Fix the cause and run ${retry} again.` : `${goBack}ix the failing members and run ${retry} again (it is safe to repeat).`;
      ctx.out.error(`${error.message} ${advice}`);
      return Exit.UNKNOWN;
    }
    if (isHcError(error, "HC_WAIT_DEADLINE") && partial) {
      printResults(ctx, partial, subject);
      const unreadable = (error.details.unreadable as string[] | undefined) ?? [];
      const left =
        action === "ready" || action === "enable"
          ? "The servers are set to ready on every member and will take traffic once their health checks pass; fix them and run the same command again to wait."
          : `The change is applied on ${partial.changed.join(", ")}.`;
      ctx.out.error(`${error.message} ${left}`);
      return unreadable.length > 0 ? Exit.UNKNOWN : Exit.CRITICAL;
    }
    throw error;
  }
  printResults(ctx, report, subject);

  let drained: DrainSessionsResult | undefined;
  let code: ExitCode = Exit.OK;
  if (action === "drain" && sessions) {
    const onTimeout = ctx.flag("shutdown-sessions") ? "shutdown" : ctx.flag("proceed") ? "proceed" : "fail";
    try {
      drained = await waitForSessions(cluster, backend, servers, { timeoutSeconds: sessionsTimeoutSeconds, onTimeout, onProgress });
    } catch (error) {
      if (!isHcError(error, "HC_WAIT_DEADLINE")) throw error;
      const unreadable = (error.details.unreadable as string[] | undefined) ?? [];
      ctx.out.error(
        `${error.message} The servers stay drained on every member; put them back with haproxy-cluster ready --backend ${backend} ${servers.map((s) => `--server ${s}`).join(" ")}, or end the sessions with --shutdown-sessions.`,
      );
      if (ctx.json) ctx.out.data(JSON.stringify({ ...jsonReport(report), sessions: { drained: false, error: error.message } }, null, 2));
      return unreadable.length > 0 ? Exit.UNKNOWN : Exit.CRITICAL;
    }
    const left = Object.entries(drained.remaining ?? {})
      .map(([member, n]) => `${member}: ${n}`)
      .join(", ");
    if (drained.drained) ctx.out.info(`${subject}: no session and no queued request left on any member.`);
    else if (drained.deadlineAction === "shutdown") ctx.out.info(`${subject}: sessions still open after ${sessionsTimeoutSeconds} s were shut down (${left}).`);
    else ctx.out.warn(`${subject} still has sessions after ${sessionsTimeoutSeconds} s (${left}); proceeding as asked (--proceed).`);
    code = Exit.OK;
  }
  if (ctx.json) ctx.out.data(JSON.stringify({ ...jsonReport(report), ...(drained ? { sessions: drained } : {}) }, null, 2));
  return code;
}

function printResults(ctx: Context, report: ServerActionReport, subject: string): void {
  for (const r of report.results) {
    if (r.ok) {
      const fresh = r.forcedFreshChecks ? ` (health forced down until fresh checks pass: ${r.forcedFreshChecks.join(", ")})` : "";
      ctx.out.info(`${r.member}: ${subject} ${DONE[report.action]}${fresh}${report.waited ? ", confirmed" : ""}`);
    } else {
      ctx.out.error(`${r.member}: ${subject} NOT ${DONE[report.action]}: ${r.error?.message ?? "failed"}`);
    }
  }
}

function jsonReport(report: ServerActionReport): object {
  return {
    ...report,
    results: report.results.map((r) => ({ ...r, error: r.error ? { code: r.error.code, message: r.error.message } : undefined })),
  };
}

function parseWeight(raw: unknown): Weight {
  if (raw === undefined) throw new UsageError("weight needs --weight W (0-256, or N% of the configured weight).");
  const text = String(raw).trim();
  if (/^\d{1,3}$/.test(text) && Number(text) <= 256) return Number(text);
  if (/^\d{1,3}%$/.test(text) && Number(text.slice(0, -1)) <= 100) return text as `${number}%`;
  throw new UsageError(`--weight must be 0 to 256 or 0% to 100%, not ${JSON.stringify(text)}.`);
}
