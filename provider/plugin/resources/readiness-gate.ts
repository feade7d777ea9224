// ClusterReadinessGate: waits until a backend is rolling-restart safe on every member
// (optionally putting servers back and judging them first); what depends on it runs after.

import { z } from "zod";
import * as readinessGate from "../../pulumi/impl/readiness-gate";
import { readinessGateSchema } from "../../pulumi/impl/inputs";
import { defineResource } from "../definition";
import { clusterHealthType } from "./cluster-health";

/** What the gate adds to its inputs in state (impl/readiness-gate.ts's ReadinessGateOutputs; a test holds them equal). */
export const readinessGateOutputs = z.object({
  passedAt: z.string().describe("When the gate last passed (ISO 8601)."),
  waitedSeconds: z.number().describe("Seconds the gate waited (putting servers back included)."),
  polls: z.number().describe("Polls made until the condition held `minChecks` times in a row."),
  health: clusterHealthType.describe("The cluster as the last passing check saw it."),
  analyses: z.record(z.string(), z.unknown()).optional().describe("With `analysis`: the verdict per server put back (numbers on both sides, members, peers), by server name."),
  holdWarnings: z
    .array(z.string())
    .optional()
    .describe("Reloads that undid a drain of `readyServers` while their rolling-deploy steps held them, one sentence each (the drain was applied again)."),
});

export const ClusterReadinessGate = defineResource(
  "ClusterReadinessGate",
  readinessGate,
  readinessGateSchema,
  "Waits until a backend is rolling-restart safe on every member: at least `thresholdPercent` of its servers serving, `minChecks` times in a row, within `timeoutSeconds`. Resources that depend on the gate run only after it passed. Any change of inputs (`triggers` included) runs it again.",
  readinessGateOutputs,
);
