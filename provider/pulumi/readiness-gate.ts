// ClusterReadinessGate: waits until a backend is rolling-restart safe on every member.
// Resources that `dependsOn` the gate run only after it passed.

import * as pulumi from "@pulumi/pulumi";
import type { ANALYSIS_DEFAULTS, DEFAULTS, LIMITS } from "../policy";
import { connectionProps, withSecretPassword, type ClusterConnectionArgs } from "./connection";
import { readinessGateProvider } from "./providers";
import type { ClusterHealth } from "./impl/health";
import type { AnalysisVerdict } from "../cluster/analysis";

/**
 * Judging each server put back (`readyServers`) against its peers, from HAProxy's
 * counters on every member. Defaults live in one place (`ANALYSIS_DEFAULTS`).
 */
export interface GateAnalysisArgs {
  /** Seconds each server is watched once back. Default {@link ANALYSIS_DEFAULTS.bakeSeconds}. */
  bakeSeconds?: pulumi.Input<number>;
  /** While fewer than minRequests arrived the window extends up to this, seconds. Default {@link ANALYSIS_DEFAULTS.timeoutFactor} × bakeSeconds. */
  timeoutSeconds?: pulumi.Input<number>;
  /** Requests (all members together) before any verdict. Default {@link ANALYSIS_DEFAULTS.minRequests}. */
  minRequests?: pulumi.Input<number>;
  /** Ceiling on the server's error rate (5xx + eresp + econ over its requests), percent. Default {@link ANALYSIS_DEFAULTS.maxErrorPercent}. */
  maxErrorPercent?: pulumi.Input<number>;
  /** Points its error rate may exceed its peers' over the same window. Default {@link ANALYSIS_DEFAULTS.maxErrorPercentOverPeers}. */
  maxErrorPercentOverPeers?: pulumi.Input<number>;
  /** Its mean response time may be at most this factor × its peers'. Default {@link ANALYSIS_DEFAULTS.responseTimeFactor}. */
  responseTimeFactor?: pulumi.Input<number>;
  /** Peers' response time is taken as at least this, milliseconds. Default {@link ANALYSIS_DEFAULTS.responseTimeFloorMs}. */
  responseTimeFloorMs?: pulumi.Input<number>;
  /** Seconds between reads of every member, at least {@link LIMITS.minIntervalSeconds}. Default {@link ANALYSIS_DEFAULTS.intervalSeconds}. */
  intervalSeconds?: pulumi.Input<number>;
  /**
   * On a regression: `fail` (the gate fails with the verdict; the server keeps serving)
   * or `drain` (drain it on every member, then fail). Default `fail`.
   */
  onFailure?: pulumi.Input<"fail" | "drain">;
  /** Too little traffic for a verdict: `fail` the gate, or `pass` it. Default `fail`. */
  onNotEnoughTraffic?: pulumi.Input<"fail" | "pass">;
}

/** What a gate checks and how often (ClusterReadinessGate; RollingRestart's gate before each batch). */
export interface GateCheckArgs {
  /** Share of the backend's active servers that must be serving on every member for the gate to pass, in percent. Default {@link DEFAULTS.thresholdPercent}. */
  thresholdPercent?: pulumi.Input<number>;
  /** Consecutive passing checks the gate requires. Default {@link DEFAULTS.minChecks}. */
  minChecks?: pulumi.Input<number>;
  /** Seconds between the gate's checks, at least {@link LIMITS.minIntervalSeconds}. Default {@link DEFAULTS.intervalSeconds}. */
  intervalSeconds?: pulumi.Input<number>;
}

export interface ClusterReadinessGateArgs extends ClusterConnectionArgs, GateCheckArgs {
  /** The backend that must be rolling-restart safe. */
  backend: pulumi.Input<string>;
  /** Hard deadline of the whole gate (putting servers back included), in seconds. Default {@link DEFAULTS.waitTimeoutSeconds}. */
  timeoutSeconds?: pulumi.Input<number>;
  /**
   * Servers to put back first, on fresh health checks (exactly as `haproxy-cluster ready
   * --wait`): how a rolling deploy releases the server it just redeployed. Default none.
   */
  readyServers?: pulumi.Input<pulumi.Input<string>[]>;
  /**
   * Judge each of `readyServers` once back (error rate and response time against its
   * peers); a failed analysis fails the gate, so `pulumi up` stops with the verdict in
   * the error. Default: no analysis.
   */
  analysis?: pulumi.Input<GateAnalysisArgs>;
  /** Any values; a change re-runs the gate on the next `pulumi up`. */
  triggers?: pulumi.Input<unknown[]>;
}

export class ClusterReadinessGate extends pulumi.dynamic.Resource {
  /** When the gate last passed (ISO 8601). */
  declare readonly passedAt: pulumi.Output<string>;
  /** Seconds the gate waited. */
  declare readonly waitedSeconds: pulumi.Output<number>;
  /** Checks the gate made before it passed. */
  declare readonly polls: pulumi.Output<number>;
  /** The cluster as the last passing check saw it: per member and backend, serving/total, each server's state, rate, backlog. */
  declare readonly health: pulumi.Output<ClusterHealth>;
  /** With `analysis`: the verdict per server put back (numbers on both sides, members, peers). */
  declare readonly analyses: pulumi.Output<Record<string, AnalysisVerdict> | undefined>;
  /** Reloads that undid a drain of `readyServers` while their rolling-deploy steps held them, one sentence each (the drain was applied again). */
  declare readonly holdWarnings: pulumi.Output<string[] | undefined>;

  constructor(name: string, args: ClusterReadinessGateArgs, opts?: pulumi.CustomResourceOptions) {
    const props = { ...connectionProps(args), passedAt: undefined, waitedSeconds: undefined, polls: undefined, health: undefined, analyses: undefined, holdWarnings: undefined };
    super(readinessGateProvider, name, props, withSecretPassword(opts), "haproxy-cluster", "ClusterReadinessGate");
  }
}
