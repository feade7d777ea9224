// The providers' implementation, loaded by the serialized provider objects at run time.
// Nothing here imports @pulumi/pulumi.

import * as backendServer from "./backend-server";
import * as readinessGate from "./readiness-gate";
import * as rollingRestart from "./rolling-restart";
import * as serverDrain from "./server-drain";
export { readHealth, healthOf } from "./health";
export type { ClusterHealth, BackendHealth } from "./health";
export { UNKNOWN, isUnknown } from "./inputs";
export { backendServer, readinessGate, rollingRestart, serverDrain };
