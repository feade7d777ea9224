// RollingRestart: restarts a backend's servers batch by batch with a command the provider
// runs (no callback, so the same resource serves every Pulumi language through the plugin):
//   gate → drain (sessions policy) → command, drain held across reloads → back on fresh
//   checks → analysis (if asked) → next batch.
// Changing `triggers` (e.g. the app version) runs it again on the next `pulumi up`.

import * as pulumi from "@pulumi/pulumi";
import type { DEFAULTS } from "../policy";
import { connectionProps, withSecretPassword, type ClusterConnectionArgs } from "./connection";
import type { ServerRestart } from "./impl/rolling-restart";
import type { DrainArgs } from "./drain-args";
import { rollingRestartProvider } from "./providers";
import type { GateAnalysisArgs, GateCheckArgs } from "./readiness-gate";

/** Each batch is taken out as {@link DrainArgs} say, after a gate that checks as {@link GateCheckArgs} say. */
export interface RollingRestartArgs extends ClusterConnectionArgs, DrainArgs, GateCheckArgs {
  /** The backend whose servers are restarted. A change runs the restart again. */
  backend: pulumi.Input<string>;
  /** The servers, in the order they are restarted. Default: every server of the backend, in the order the first member lists them. A change runs the restart again. */
  servers?: pulumi.Input<pulumi.Input<string>[]>;
  /**
   * The restart command as an argv (program, then its arguments), run on the machine that
   * runs `pulumi` (not over SSH), without a shell, once per server, the servers of a batch
   * at once. The server reaches it only through the environment: `HAPROXY_SERVER_NAME` (its name),
   * `HAPROXY_SERVER_ADDR` and `HAPROXY_SERVER_PORT` (from HAProxy's `addr`; empty over a stats page
   * without `stats show-legends`), `HAPROXY_PROXY_NAME` (the backend): the names HAProxy gives an external-check command. For a shell, say so:
   * `["sh", "-c", "systemctl restart \"app@$HAPROXY_SERVER_NAME\""]`. `HAPROXY_CLUSTER_PASSWORD` and
   * `HAPROXY_CLUSTER_SSH_PASSPHRASE` are removed from its environment. Its output goes to
   * Pulumi's log, each line prefixed `[server]`; exit status 0 is success. A change runs
   * the restart again.
   */
  command: pulumi.Input<pulumi.Input<string>[]>;
  /**
   * Deadline of one run of the command, in seconds: then SIGTERM to its process group,
   * SIGKILL {@link DEFAULTS.commandKillGraceSeconds} s later, and the run stops with the
   * server left drained. Default {@link DEFAULTS.commandTimeoutSeconds}.
   */
  commandTimeoutSeconds?: pulumi.Input<number>;
  /** Servers out of rotation at once. Default {@link DEFAULTS.batchSize}. */
  batchSize?: pulumi.Input<number>;
  /** Deadline of the gate before each batch, in seconds. Default {@link DEFAULTS.waitTimeoutSeconds}. */
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
  /** The backend whose servers are restarted. */
  declare readonly backend: pulumi.Output<string>;

  constructor(name: string, args: RollingRestartArgs, opts?: pulumi.CustomResourceOptions) {
    const props = { ...connectionProps(args), restarts: undefined, drainedServers: undefined, startedAt: undefined, completedAt: undefined };
    super(rollingRestartProvider, name, props, withSecretPassword(opts), "haproxy-cluster", "RollingRestart");
  }
}
