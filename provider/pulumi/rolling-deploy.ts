// RollingDeploy: the whole chain of a rolling deploy from a list of servers and a function
// that creates the deploy resource for one server:
//   gate → drain batch 1 → deploy batch 1 → put batch 1 back + gate → drain batch 2 → …
// Changing `triggers` (e.g. the version) makes the next `pulumi up` run the chain again.

import * as pulumi from "@pulumi/pulumi";
import { DEFAULTS } from "../policy";
import type { ClusterConnectionArgs } from "./connection";
import type { AnalysisVerdict } from "../cluster/analysis";
import { ClusterReadinessGate, type ClusterReadinessGateArgs, type GateAnalysisArgs } from "./readiness-gate";
import { ServerDrain, type ServerDrainArgs } from "./server-drain";

export interface RollingDeployArgs extends ClusterConnectionArgs {
  /** The backend whose servers are redeployed. */
  backend: string;
  /** The backend's servers, in the order they are redeployed. */
  servers: string[];
  /**
   * Creates the deploy resource(s) of one server. Pass `opts` on (it holds the parent and
   * the dependency on that server's drain) so the deploy runs only once it is drained.
   */
  deploy: (server: string, opts: pulumi.CustomResourceOptions) => pulumi.Resource | pulumi.Resource[];
  /** Servers out of rotation at once. Default {@link DEFAULTS.batchSize}. */
  batchSize?: number;
  /** Any values (e.g. `[version]`); a change runs the whole chain again on the next `pulumi up`. */
  triggers?: pulumi.Input<unknown[]>;
  /** Gate settings (defaults: those of ClusterReadinessGate, from {@link DEFAULTS}). */
  gate?: Pick<ClusterReadinessGateArgs, "thresholdPercent" | "minChecks" | "intervalSeconds" | "timeoutSeconds">;
  /**
   * Judge each server once it is back, before the next is touched (see
   * ClusterReadinessGateArgs.analysis): a regression stops the rollout there, the other
   * servers keep the old version. Default: no analysis.
   */
  analysis?: GateAnalysisArgs;
  /** Drain settings for every step. */
  drain?: Pick<ServerDrainArgs, "mode" | "drainTimeoutSeconds" | "waitForSessions" | "sessionsTimeoutSeconds" | "onSessionsTimeout" | "minOtherServing" | "force">;
}

export class RollingDeploy extends pulumi.ComponentResource {
  /** gates[0] runs before anything is touched; gates[i] puts batch i back and checks the cluster. */
  readonly gates: ClusterReadinessGate[] = [];
  /** One ServerDrain per server (`lifetime: "step"`), in order. */
  readonly drains: ServerDrain[] = [];
  /** The deploy resources, per server, in order. */
  readonly deployments: pulumi.Resource[][] = [];
  /** The last gate: once it passed, every server is back and the cluster is safe. */
  readonly done: ClusterReadinessGate;
  /** With `analysis`: the last verdict per server, from every gate that passed. */
  readonly analyses: pulumi.Output<Record<string, AnalysisVerdict>>;

  constructor(name: string, args: RollingDeployArgs, opts?: pulumi.ComponentResourceOptions) {
    super("haproxy-cluster:index:RollingDeploy", name, {}, opts);
    const { deploy, servers, batchSize = DEFAULTS.batchSize, gate, drain, analysis, backend, triggers, ...connection } = args;
    if (servers.length === 0) throw new Error(`RollingDeploy ${name}: no servers given.`);
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`RollingDeploy ${name}: batchSize must be a whole number ≥ 1.`);

    const gateArgs = (readyServers: string[]): ClusterReadinessGateArgs => ({ ...connection, ...gate, backend, readyServers, triggers, ...(analysis && readyServers.length > 0 ? { analysis } : {}) });
    let previous = new ClusterReadinessGate(`${name}-gate-0`, gateArgs([]), { parent: this });
    this.gates.push(previous);

    for (let start = 0, batch = 1; start < servers.length; start += batchSize, batch++) {
      const members = servers.slice(start, start + batchSize);
      const batchDeploys: pulumi.Resource[] = [];
      // Within a batch drains run one after another, so each capacity guard sees the one before.
      let after: pulumi.Resource = previous;
      for (const server of members) {
        const step = new ServerDrain(`${name}-drain-${server}`, { ...connection, ...drain, backend, server, lifetime: "step", triggers }, { parent: this, dependsOn: [after] });
        this.drains.push(step);
        after = step;
        const made = deploy(server, { parent: this, dependsOn: [step] });
        const list = Array.isArray(made) ? made : [made];
        this.deployments.push(list);
        batchDeploys.push(...list);
      }
      previous = new ClusterReadinessGate(`${name}-gate-${batch}`, gateArgs(members), { parent: this, dependsOn: batchDeploys });
      this.gates.push(previous);
    }
    this.done = previous;
    this.analyses = pulumi.all(this.gates.map((g) => g.analyses)).apply((all) => Object.assign({}, ...all.map((a) => a ?? {})) as Record<string, AnalysisVerdict>);
    this.registerOutputs({ passedAt: this.done.passedAt, health: this.done.health, analyses: this.analyses });
  }
}
