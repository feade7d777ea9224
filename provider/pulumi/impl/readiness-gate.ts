// ClusterReadinessGate's lifecycle: on create and on every update, optionally put named
// servers back (on fresh health checks), then wait until the backend is rolling-restart
// safe on every member. Resources that depend on the gate run only after it passed.

import { applyServerAction } from "../../cluster/server-actions";
import { changedInputs, checkInputs, clusterFrom, parseInputs, readinessGateSchema } from "./inputs";
import { healthOf, type ClusterHealth } from "./health";
import type { DiffResult, ProviderProps } from "./results";
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
}

export function check(_olds: ProviderProps, news: ProviderProps) {
  return checkInputs(readinessGateSchema, news, ["passedAt", "waitedSeconds", "polls", "health"]);
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
  const cluster = clusterFrom(inputs);
  try {
    if (inputs.readyServers.length > 0) {
      await applyServerAction(cluster, inputs.backend, inputs.readyServers, "ready", {
        wait: true,
        timeoutSeconds: inputs.timeoutSeconds,
        intervalSeconds: Math.min(inputs.intervalSeconds, 0.5),
      });
    }
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
    };
  } finally {
    await cluster.close();
  }
}
