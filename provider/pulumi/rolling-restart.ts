// RollingRestart: restarts a backend's servers batch by batch with a command the provider
// runs (no callback, so the same resource serves every Pulumi language through the plugin):
//   gate → drain (sessions policy) → command, drain held across reloads → back on fresh
//   checks → analysis (if asked) → next batch.
// Changing `triggers` (e.g. the app version) runs it again on the next `pulumi up`.

import * as pulumi from "@pulumi/pulumi";
import { connectionProps, withSecretPassword, type ClusterConnectionArgs } from "./connection";
import type { ServerRestart } from "./impl/rolling-restart";
import { rollingRestartProvider } from "./providers";
import type { ClusterReadinessGateArgs, GateAnalysisArgs } from "./readiness-gate";
import type { ServerDrainArgs } from "./server-drain";

/**
 * The drain of each batch takes ServerDrain's settings (`mode`, the sessions policy, the
 * capacity guard) and the gate before it ClusterReadinessGate's (`thresholdPercent`,
 * `minChecks`, `intervalSeconds`), with their defaults.
 */
export interface RollingRestartArgs
  extends ClusterConnectionArgs,
    Pick<ServerDrainArgs, "mode" | "drainTimeoutSeconds" | "waitForSessions" | "sessionsTimeoutSeconds" | "onSessionsTimeout" | "minOtherServing" | "force">,
    Pick<ClusterReadinessGateArgs, "thresholdPercent" | "minChecks" | "intervalSeconds"> {
  /** The backend whose servers are restarted. A change runs the restart again. */
  backend: pulumi.Input<string>;
  /** The servers, in the order they are restarted. Default: every server of the backend, in the order the first member lists them. A change runs the restart again. */
  servers?: pulumi.Input<pulumi.Input<string>[]>;
  /**
   * The restart command as an argv (program, then its arguments), run on the machine that
   * runs `pulumi` (not over SSH), without a shell, once per server, the servers of a batch
   * at once. The server reaches it only through the environment: `HC_SERVER` (its name),
   * `HC_SERVER_ADDRESS` and `HC_SERVER_PORT` (from HAProxy's `addr`; empty over a stats page
   * without `stats show-legends`), `HC_BACKEND`, `HC_BATCH` (from 1). For a shell, say so:
   * `["sh", "-c", "systemctl restart \"app@$HC_SERVER\""]`. `HAPROXY_CLUSTER_PASSWORD` and
   * `HAPROXY_CLUSTER_SSH_PASSPHRASE` are removed from its environment. Its output goes to
   * Pulumi's log, each line prefixed `[server]`. Exit status 0 is success. A change runs the
   * restart again.
   */
  command: pulumi.Input<pulumi.Input<string>[]>;
  /** Deadline of one run of the command, in seconds: then SIGTERM to its process group, SIGKILL 5 s later, and the run stops. Default 300. */
  commandTimeoutSeconds?: pulumi.Input<number>;
  /** Servers out of rotation at once. Default 1. */
  batchSize?: pulumi.Input<number>;
  /** Deadline for a batch to be serving again on fresh checks on every member after its command, in seconds (also for delete putting back a server left drained). Default 120. */
  restoreTimeoutSeconds?: pulumi.Input<number>;
  /** Gate: deadline of each gate, in seconds. Default 300. */
  gateTimeoutSeconds?: pulumi.Input<number>;
  /**
   * Judge each batch once back (error rate and response time against the other servers),
   * as ClusterReadinessGate's `analysis`; a failed verdict stops the run (with `onFailure:
   * "drain"` the server is left drained and listed in `drainedServers`). Default: no analysis.
   */
  analysis?: pulumi.Input<GateAnalysisArgs>;
  /** Any values (e.g. `[appVersion]`); a change runs the restart again on the next `pulumi up`. */
  triggers?: pulumi.Input<unknown[]>;
}

export class RollingRestart extends pulumi.dynamic.Resource {
  /** Per server, what the last run did: outcome, when it was drained and back, the command's exit, the verdict. */
  declare readonly restarts: pulumi.Output<Record<string, ServerRestart>>;
  /** Servers the last run left out of rotation (a failed command or verdict); empty when it went through. The next `up` restarts them first. */
  declare readonly drainedServers: pulumi.Output<string[]>;
  /** When the last run began (ISO 8601). */
  declare readonly startedAt: pulumi.Output<string>;
  /** When the last run finished with every server back (ISO 8601); absent when it stopped. */
  declare readonly completedAt: pulumi.Output<string | undefined>;
  declare readonly backend: pulumi.Output<string>;

  constructor(name: string, args: RollingRestartArgs, opts?: pulumi.CustomResourceOptions) {
    const props = { ...connectionProps(args), restarts: undefined, drainedServers: undefined, startedAt: undefined, completedAt: undefined };
    super(rollingRestartProvider, name, props, withSecretPassword(opts), "haproxy-cluster", "RollingRestart");
  }
}
