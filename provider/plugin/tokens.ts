// The plugin's one table from type token to implementation: every verb looks its resource
// or function up here, and the schema is generated from it. Adding a resource is one line
// (and its file under resources/).

import type { Definition, FunctionDefinition, ResourceDefinition } from "./definition";
import { BackendServer } from "./resources/backend-server";
import { getClusterHealth } from "./resources/cluster-health";
import { ClusterReadinessGate } from "./resources/readiness-gate";
import { RollingRestart } from "./resources/rolling-restart";
import { ServerDrain } from "./resources/server-drain";

export const DEFINITIONS: readonly Definition[] = [ServerDrain, ClusterReadinessGate, RollingRestart, BackendServer, getClusterHealth];

export const RESOURCES: ReadonlyMap<string, ResourceDefinition> = new Map(DEFINITIONS.flatMap((d) => (d.kind === "resource" ? [[d.token, d] as const] : [])));
export const FUNCTIONS: ReadonlyMap<string, FunctionDefinition> = new Map(DEFINITIONS.flatMap((d) => (d.kind === "function" ? [[d.token, d] as const] : [])));
