// RollingRestart: restarts a backend's servers batch by batch with a command the provider
// runs (no callback, so the same resource serves every Pulumi language through the plugin):
//   gate → drain (sessions policy) → command, drain held across reloads → back on fresh
//   checks → analysis (if asked) → next batch.
// Changing `triggers` (e.g. the app version) runs it again on the next `pulumi up`.

import * as pulumi from "@pulumi/pulumi";
import type { DEFAULTS } from "../policy";
import { connectionProps, withSecretPassword, type ClusterConnectionArgs } from "./connection";
import type { ServerRestart } from "./impl/rolling-restart";
import { rollingRestartProvider } from "./providers";
import type { GateAnalysisArgs } from "./readiness-gate";

export interface RollingRestartArgs extends ClusterConnectionArgs {
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
  /** `drain` (no new sessions; persistent ones continue) or `maint` (no traffic at all) while the command runs. Default `drain`. */
  mode?: pulumi.Input<"drain" | "maint">;
  /** Deadline for the drain of a batch to be seen on every member, in seconds. Default {@link DEFAULTS.actionTimeoutSeconds}. */
  drainTimeoutSeconds?: pulumi.Input<number>;
  /** After taking a batch out, wait until it has no session and no queued request on any member. Default false. */
  waitForSessions?: pulumi.Input<boolean>;
  /** Deadline of that wait, in seconds. Default {@link DEFAULTS.sessionsTimeoutSeconds}. */
  sessionsTimeoutSeconds?: pulumi.Input<number>;
  /** What happens at the sessions deadline: `fail` (the run stops, the batch left drained and recorded), `proceed`, or `shutdown` (kill the remaining sessions). Default `fail`. */
  onSessionsTimeout?: pulumi.Input<"fail" | "proceed" | "shutdown">;
  /**
   * Deadline for a batch to be serving again on fresh checks on every member after its
   * command, in seconds (also for delete putting back a server a stopped run left
   * drained). Default {@link DEFAULTS.actionTimeoutSeconds}.
   */
  restoreTimeoutSeconds?: pulumi.Input<number>;
  /** Capacity guard: refuse to take a batch out unless at least this many other servers keep serving on every member. Default {@link DEFAULTS.minOtherServing}. */
  minOtherServing?: pulumi.Input<number>;
  /** Skip the capacity guard. Default false. */
  force?: pulumi.Input<boolean>;
  /** The gate before each batch: share of the backend's active servers that must be serving on every member, in percent. Default {@link DEFAULTS.thresholdPercent}. */
  thresholdPercent?: pulumi.Input<number>;
  /** The gate: consecutive passing checks required. Default {@link DEFAULTS.minChecks}. */
  minChecks?: pulumi.Input<number>;
  /** The gate: seconds between checks. Default {@link DEFAULTS.intervalSeconds}. */
  intervalSeconds?: pulumi.Input<number>;
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
