// The bake: one server, once back, watched on every member and judged against its peers
// (error rate, response time). Its options, help and verdict handling serve `analyse`
// and `ready --wait --bake-seconds`, so a deploy script can put a server back and judge
// its new version in one command.

import type { AnalysisThresholds, AnalysisVerdict } from "../cluster/analysis";
import { ANALYSIS_DEFAULTS as D, ANALYSIS_FAILURE_POLICIES, type AnalysisFailurePolicy } from "../cluster/analysis-defaults";
import type { Cluster } from "../cluster/cluster";
import type { ClusterSnapshot } from "../cluster/cluster-snapshot";
import { numberOption, type OptionSpec } from "./args";
import type { Context } from "./context";
import { Exit, UsageError, type ExitCode } from "./exit";

export const BAKE_OPTIONS: OptionSpec = {
  "bake-seconds": { type: "string" },
  "bake-timeout": { type: "string" },
  "min-requests": { type: "string" },
  "max-error-percent": { type: "string" },
  "max-error-percent-over-peers": { type: "string" },
  "response-time-factor": { type: "string" },
  "response-time-floor-ms": { type: "string" },
  "on-failure": { type: "string" },
};

export const BAKE_HELP = `  --bake-seconds N     watch the server this long on every member (default ${D.bakeSeconds})
  --bake-timeout SECONDS  while fewer than --min-requests arrived, watch up to this long
                       (default ${D.timeoutFactor} × --bake-seconds), then: not enough traffic
  --min-requests N     requests the server must answer, all members together, before any
                       verdict (default ${D.minRequests})
  --max-error-percent P  ceiling on its error rate: 5xx + response errors + connection
                       errors over all its requests (default ${D.maxErrorPercent})
  --max-error-percent-over-peers P  points its error rate may exceed its peers' (the
                       other serving servers of the backend, same window; default ${D.maxErrorPercentOverPeers})
  --response-time-factor F  its mean response time may be at most F × its peers'
                       (default ${D.responseTimeFactor})
  --response-time-floor-ms MS  peers' response time is taken as at least MS (default ${D.responseTimeFloorMs})
  --on-failure fail|drain  on a regression, drain the server on every member before
                       exiting 2 (drain), or leave it serving (fail, the default)`;

export const BAKE_EXIT = `0 good; 2 regression (the message names the rule, the members and the numbers on
both sides); 3 could not tell: not enough traffic before --bake-timeout, a member
that cannot be read, or an unknown name`;

export interface BakeRequest {
  thresholds: AnalysisThresholds;
  onFailure: AnalysisFailurePolicy;
}

/** The bake options of a command line; undefined when --bake-seconds was not given and `required` is false. */
export function bakeRequest(ctx: Context, required: boolean): BakeRequest | undefined {
  const bakeSeconds = numberOption(ctx.values, "bake-seconds", { above: 0 });
  const others = Object.keys(BAKE_OPTIONS).filter((k) => k !== "bake-seconds" && ctx.values[k] !== undefined);
  if (bakeSeconds === undefined && !required) {
    if (others.length > 0) throw new UsageError(`--${others[0]} needs --bake-seconds N: it sets how the server is judged after it is back.`);
    return undefined;
  }
  const onFailure = (ctx.values["on-failure"] as string | undefined) ?? "fail";
  if (!ANALYSIS_FAILURE_POLICIES.includes(onFailure as AnalysisFailurePolicy)) throw new UsageError(`--on-failure must be fail or drain, not ${JSON.stringify(onFailure)}.`);
  return {
    onFailure: onFailure as AnalysisFailurePolicy,
    thresholds: {
      bakeSeconds,
      timeoutSeconds: numberOption(ctx.values, "bake-timeout", { above: 0 }),
      minRequests: numberOption(ctx.values, "min-requests", { min: 1, integer: true }),
      maxErrorPercent: numberOption(ctx.values, "max-error-percent", { min: 0, max: 100 }),
      maxErrorPercentOverPeers: numberOption(ctx.values, "max-error-percent-over-peers", { min: 0, max: 100 }),
      responseTimeFactor: numberOption(ctx.values, "response-time-factor", { above: 0 }),
      responseTimeFloorMs: numberOption(ctx.values, "response-time-floor-ms", { min: 0 }),
    },
  };
}

/**
 * Runs the analysis, prints progress and the verdict, applies --on-failure; returns the
 * exit code. `baseline`: the read in which `ready --wait` saw the server back on every
 * member (its report's `reached`), where the window starts; a read of its own otherwise.
 */
export async function bake(ctx: Context, cluster: Cluster, backend: string, server: string, request: BakeRequest, baseline?: ClusterSnapshot): Promise<ExitCode> {
  const { analyseServer, resolveThresholds } = await import("../cluster/analysis");
  let thresholds;
  try {
    thresholds = resolveThresholds(request.thresholds);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  ctx.out.info(`${backend}/${server}: watching for ${thresholds.bakeSeconds} s on ${cluster.members.length} members (at least ${thresholds.minRequests} requests, up to ${thresholds.timeoutSeconds} s).`);
  let lastPrinted = 0;
  const verdict: AnalysisVerdict = await analyseServer(cluster, backend, server, {
    ...thresholds,
    baseline,
    onProgress: (p) => {
      if (p.elapsedSeconds - lastPrinted < 5) return;
      lastPrinted = p.elapsedSeconds;
      ctx.out.info(`${p.elapsedSeconds.toFixed(0)} s: ${server} ${p.server.errors}/${p.server.requests} errors; peers ${p.peers.errors}/${p.peers.requests}`);
    },
  });
  let drained: string | undefined;
  if (verdict.outcome === "regression" && request.onFailure === "drain") {
    const { applyServerAction } = await import("../cluster/actions");
    await applyServerAction(cluster, backend, server, "drain", { wait: true });
    drained = `${backend}/${server} is drained on every member (${cluster.memberNames.join(", ")}).`;
  }
  if (ctx.json) ctx.out.data(JSON.stringify({ ...verdict, drained: drained !== undefined }, null, 2));
  if (verdict.outcome === "good") {
    ctx.out.info(verdict.message);
    return Exit.OK;
  }
  ctx.out.error(drained ? `${verdict.message} ${drained}` : verdict.message);
  return verdict.outcome === "regression" ? Exit.CRITICAL : Exit.UNKNOWN;
}

