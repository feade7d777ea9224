// The Pulumi resources as exports of the package root, loaded on first use: `import
// { ServerDrain } from "haproxy-cluster"` works, while the CLI and library users who never
// touch a resource do not pay for (or need) @pulumi/pulumi.
import { HcError } from "./errors";
import type * as Resources from "./pulumi";

const NAMES = ["ServerDrain", "ClusterReadinessGate", "RollingDeploy", "RollingRestart", "getClusterHealth", "serverDrainProvider", "readinessGateProvider", "rollingRestartProvider"] as const;
type Name = (typeof NAMES)[number];

/** The root's names that load @pulumi/pulumi when read (the CLI's eval leaves them out). */
export const PULUMI_EXPORTS: ReadonlySet<string> = new Set(NAMES);

let loaded: typeof Resources | undefined;

/** haproxy-cluster/pulumi, or a sentence saying what to install when @pulumi/pulumi is missing. */
function resources(name: Name): typeof Resources {
  if (loaded) return loaded;
  try {
    loaded = require("./pulumi") as typeof Resources;
    return loaded;
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === "MODULE_NOT_FOUND" && /@pulumi\/pulumi/.test((error as Error).message);
    if (!missing) throw error;
    throw new HcError(
      "HC_PULUMI_MISSING",
      `${name} is a Pulumi resource and needs @pulumi/pulumi, which is not installed here: ` +
        `run npm install @pulumi/pulumi in your Pulumi project, and import ${name} from "haproxy-cluster/pulumi" (or "haproxy-cluster").`,
      {},
      { cause: error },
    );
  }
}

export declare const ServerDrain: typeof Resources.ServerDrain;
export type ServerDrain = Resources.ServerDrain;
export declare const ClusterReadinessGate: typeof Resources.ClusterReadinessGate;
export type ClusterReadinessGate = Resources.ClusterReadinessGate;
export declare const RollingDeploy: typeof Resources.RollingDeploy;
export type RollingDeploy = Resources.RollingDeploy;
export declare const RollingRestart: typeof Resources.RollingRestart;
export type RollingRestart = Resources.RollingRestart;
export declare const getClusterHealth: typeof Resources.getClusterHealth;
export declare const serverDrainProvider: typeof Resources.serverDrainProvider;
export declare const readinessGateProvider: typeof Resources.readinessGateProvider;
export declare const rollingRestartProvider: typeof Resources.rollingRestartProvider;

for (const name of NAMES) {
  Object.defineProperty(exports, name, { enumerable: true, configurable: true, get: () => resources(name)[name] });
}
