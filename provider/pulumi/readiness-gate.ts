// ClusterReadinessGate: waits until a backend is rolling-restart safe on every member.
// Resources that `dependsOn` the gate run only after it passed.

import * as pulumi from "@pulumi/pulumi";
import { connectionProps, withSecretPassword, type ClusterConnectionArgs } from "./connection";
import { readinessGateProvider } from "./providers";
import type { ClusterHealth } from "./impl/health";

export interface ClusterReadinessGateArgs extends ClusterConnectionArgs {
  backend: pulumi.Input<string>;
  /** Share of the backend's active servers that must be serving on every member, in percent. Default 80. */
  thresholdPercent?: pulumi.Input<number>;
  /** Consecutive passing checks required. Default 3. */
  minChecks?: pulumi.Input<number>;
  /** Seconds between checks. Default 2. */
  intervalSeconds?: pulumi.Input<number>;
  /** Hard deadline of the whole gate (putting servers back included), in seconds. Default 300. */
  timeoutSeconds?: pulumi.Input<number>;
  /**
   * Servers to put back first, on fresh health checks (exactly as `haproxy-cluster ready
   * --wait`): how a rolling deploy releases the server it just redeployed. Default none.
   */
  readyServers?: pulumi.Input<pulumi.Input<string>[]>;
  /** Any values; a change re-runs the gate on the next `pulumi up`. */
  triggers?: pulumi.Input<unknown[]>;
}

export class ClusterReadinessGate extends pulumi.dynamic.Resource {
  /** When the gate last passed (ISO 8601). */
  declare readonly passedAt: pulumi.Output<string>;
  /** Seconds the gate waited. */
  declare readonly waitedSeconds: pulumi.Output<number>;
  declare readonly polls: pulumi.Output<number>;
  /** The cluster as the last passing check saw it: per member and backend, serving/total, each server's state, rate, backlog. */
  declare readonly health: pulumi.Output<ClusterHealth>;

  constructor(name: string, args: ClusterReadinessGateArgs, opts?: pulumi.CustomResourceOptions) {
    const props = { ...connectionProps(args), passedAt: undefined, waitedSeconds: undefined, polls: undefined, health: undefined };
    super(readinessGateProvider, name, props, withSecretPassword(opts), "haproxy-cluster", "ClusterReadinessGate");
  }
}
