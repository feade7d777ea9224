// Pulumi resources and functions of haproxy-cluster (`require("haproxy-cluster/pulumi")`).
// Kept apart from the package root so that the library and the CLI never load @pulumi/pulumi.

export { ServerDrain } from "./server-drain";
export type { ServerDrainArgs } from "./server-drain";
export { BackendServer } from "./backend-server";
export type { BackendServerArgs } from "./backend-server";
export { ClusterReadinessGate } from "./readiness-gate";
export type { ClusterReadinessGateArgs, GateAnalysisArgs } from "./readiness-gate";
export { RollingDeploy } from "./rolling-deploy";
export type { RollingDeployArgs } from "./rolling-deploy";
export { RollingRestart } from "./rolling-restart";
export type { RollingRestartArgs } from "./rolling-restart";
export type { ServerRestart } from "./impl/rolling-restart";
export { getClusterHealth } from "./cluster-health";
export type { ClusterHealthArgs } from "./cluster-health";
export type { ClusterConnectionArgs } from "./connection";
export type { ClusterHealth, BackendHealth } from "./impl/health";
export { serverDrainProvider, readinessGateProvider, rollingRestartProvider, backendServerProvider } from "./providers";
