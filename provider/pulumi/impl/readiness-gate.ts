// ClusterReadinessGate's lifecycle: on create and on every update, optionally put named
// servers back (on fresh health checks), then wait until the backend is rolling-restart
// safe on every member. Resources that depend on the gate run only after it passed.
// With `analysis`, each server put back is then judged against its peers; a regression
// fails the gate (after draining the server, with onFailure "drain"), so `pulumi up`
// stops before the next server is touched.

import { analyseServer, type AnalysisVerdict } from "../../cluster/analysis";
import type { Cluster } from "../../cluster/cluster";
import type { ClusterSnapshot } from "../../cluster/cluster-snapshot";
import { applyServerAction } from "../../cluster/actions";
import { HcError } from "../../errors";
import { DEFAULTS } from "../../policy";
import { changedInputs, checkInputs, parseInputs, readinessGateSchema, withCluster, type AnalysisInputs } from "./inputs";
import { healthOf, type ClusterHealth } from "./health";
import type { DiffResult, ProviderProps } from "./results";
import { releaseSteps } from "./step-holds";
import { randomUUID } from "node:crypto";

export interface ReadinessGateOutputs {
  /** ISO time the gate passed. */
  passedAt: string;
  /** Seconds the gate waited (putting servers back included). */
  waitedSeconds: number;
  /** Polls made until the condition held `minChecks` times in a row. */
  polls: number;
  /** The cluster as the last passing poll saw it. */
  health: ClusterHealth;
  /** With `analysis`: the verdict for each server put back, by server name. */
  analyses?: Record<string, AnalysisVerdict>;
  /**
   * What the rolling-deploy steps of `readyServers` saw while held until this gate: one
   * sentence per member where a reload undid the drain and it was applied again.
   */
  holdWarnings?: string[];
}

export function check(_olds: ProviderProps, news: ProviderProps) {
  return checkInputs(readinessGateSchema, news, ["passedAt", "waitedSeconds", "polls", "health", "analyses", "holdWarnings"]);
}

/** Any change (triggers included) re-runs the gate as an update; nothing is ever replaced. */
export function diff(_id: string, olds: ProviderProps, news: ProviderProps): DiffResult {
  const changed = changedInputs(readinessGateSchema, olds, news);
  return { changes: changed.length > 0, replaces: [] };
}

export async function create(props: ProviderProps): Promise<{ id: string; outs: ProviderProps }> {
  const inputs = parseInputs(readinessGateSchema, props, "ClusterReadinessGate");
  return { id: `${inputs.backend}/${randomUUID()}`, outs: { ...inputs, ...(await pass(props)) } };
}

export async function update(_id: string, _olds: ProviderProps, news: ProviderProps): Promise<{ outs: ProviderProps }> {
  const inputs = parseInputs(readinessGateSchema, news, "ClusterReadinessGate");
  return { outs: { ...inputs, ...(await pass(news)) } };
}

/** A gate is an event, not a state: nothing to undo, nothing to refresh. */
export async function remove(): Promise<void> {}

export async function read(id: string, props: ProviderProps): Promise<{ id: string; props: ProviderProps }> {
  return { id, props };
}

async function pass(props: ProviderProps): Promise<ReadinessGateOutputs> {
  const inputs = parseInputs(readinessGateSchema, props, "ClusterReadinessGate");
  const started = Date.now();
  const deadline = started + inputs.timeoutSeconds * 1000;
  return withCluster(inputs, inputs.members, async (cluster) => {
    // The steps that drained these servers stop holding them: the gate puts them back now.
    const holdWarnings = await releaseSteps(cluster.memberNames, inputs.backend, inputs.readyServers);
    const back =
      inputs.readyServers.length > 0
        ? await applyServerAction(cluster, inputs.backend, inputs.readyServers, "ready", {
            wait: true,
            timeoutSeconds: inputs.timeoutSeconds,
            intervalSeconds: Math.min(inputs.intervalSeconds, DEFAULTS.actionIntervalSeconds),
          })
        : undefined;
    const analyses = back && inputs.analysis ? await analyse(cluster, inputs.backend, inputs.readyServers, inputs.analysis, back.reached) : undefined;
    // One deadline for the whole gate: putting servers back spends from it.
    const result = await cluster.waitUntilRollingRestartable(inputs.backend, {
      thresholdPercent: inputs.thresholdPercent,
      minChecks: inputs.minChecks,
      intervalSeconds: inputs.intervalSeconds,
      timeoutSeconds: Math.max(0.001, (deadline - Date.now()) / 1000),
    });
    return {
      passedAt: new Date().toISOString(),
      waitedSeconds: (Date.now() - started) / 1000,
      polls: result.polls,
      health: healthOf(result.last, [inputs.backend], inputs.thresholdPercent),
      ...(analyses ? { analyses } : {}),
      ...(holdWarnings.length > 0 ? { holdWarnings } : {}),
    };
  });
}

/**
 * Judges every server just put back, at once (their windows overlap: each is compared
 * with the servers not in the batch), each window starting at `baseline` (the read in
 * which `ready` saw them back: its report's `reached`) when given. Throws
 * HC_ANALYSIS_FAILED with the verdicts in the message when one regressed (drained on
 * every member first, with onFailure "drain") or had too little traffic (unless
 * onNotEnoughTraffic is "pass").
 */
export async function analyse(cluster: Cluster, backend: string, servers: string[], options: AnalysisInputs, baseline?: ClusterSnapshot): Promise<Record<string, AnalysisVerdict>> {
  const { onFailure, onNotEnoughTraffic, ...thresholds } = options;
  const verdicts = await Promise.all(servers.map((server) => analyseServer(cluster, backend, server, { ...thresholds, baseline })));
  const failed = verdicts.filter((v) => v.outcome === "regression" || (v.outcome === "not-enough-traffic" && onNotEnoughTraffic === "fail"));
  if (failed.length > 0) {
    const bad = failed.filter((v) => v.outcome === "regression").map((v) => v.server);
    let action = "";
    if (onFailure === "drain" && bad.length > 0) {
      await applyServerAction(cluster, backend, bad, "drain", { wait: true });
      action = ` ${bad.map((s) => `${backend}/${s}`).join(", ")} ${bad.length === 1 ? "is" : "are"} drained on every member (${cluster.memberNames.join(", ")}); undo with haproxy-cluster ready once fixed.`;
    }
    const what = bad.length > 0 ? "the new version regressed" : "too little traffic to judge the new version";
    throw new HcError("HC_ANALYSIS_FAILED", `analysis stopped the rollout: ${what}. ${failed.map((v) => v.message).join(" ")}${action}`, {
      backend,
      server: failed[0]!.server,
      verdicts: failed,
      drained: onFailure === "drain" ? bad : [],
    });
  }
  return Object.fromEntries(verdicts.map((v) => [v.server, v]));
}
