// getClusterHealth: reads every member (also during preview) and returns the cluster's
// health. Its outputs' schema mirrors impl/health.ts's ClusterHealth (a test holds them equal).

import { z } from "zod";
import { DEFAULTS } from "../../policy";
import { readHealth } from "../../pulumi/impl/health";
import { healthSchema } from "../../pulumi/impl/inputs";
import { defineFunction } from "../definition";

const serverHealth = z
  .object({
    name: z.string().describe("The server's name."),
    status: z.string().describe("HAProxy's status, as `show stat` gives it (UP, DOWN, DRAIN, MAINT, UP 1/2 ...)."),
    admin: z.string().describe("Admin state: `ready`, `drain` or `maint`."),
    serving: z.boolean().describe("Whether it takes new traffic (UP and ready)."),
  })
  .meta({ id: "ServerHealth", description: "One server of a backend on one member." });

const backendHealth = z
  .object({
    name: z.string().describe("The backend's name."),
    serving: z.number().describe("Active servers serving."),
    total: z.number().describe("Active servers."),
    percent: z.number().describe("serving / total, in percent."),
    rollingRestartable: z.boolean().describe(`Whether one more server may be taken out (the threshold, default ${DEFAULTS.thresholdPercent}%).`),
    rate: z.number().describe("Sessions per second."),
    backlog: z.number().describe("Requests waiting for a server."),
    sessions: z.number().describe("Current sessions."),
    servers: z.array(serverHealth).describe("Each server's state."),
  })
  .meta({ id: "BackendHealth", description: "One backend on one member." });

const memberHealth = z
  .object({
    member: z.string().describe("The member's name (its URL or socket, without a password)."),
    ok: z.boolean().describe("Whether the member could be read."),
    error: z.string().optional().describe("Why it could not be read."),
    backends: z.array(backendHealth).describe("The backends reported."),
  })
  .meta({ id: "MemberHealth", description: "What one member reported." });

export const clusterHealthShape = {
  takenAt: z.string().describe("When the members were read (ISO 8601)."),
  healthy: z
    .boolean()
    .describe(
      `True when every member was read and, on each, every backend reported has servers and at least the threshold (default ${DEFAULTS.thresholdPercent}%) of them serving. Unlike \`rollingRestartable\`, a backend with every server down is not healthy.`,
    ),
  members: z.array(memberHealth).describe("Per member and backend: serving/total, percent, rolling-restart safety, rate, backlog and each server's state."),
};

export const clusterHealthOutputs = z.object(clusterHealthShape);

/** The same picture as one named object, for the readiness gate's `health` output. */
export const clusterHealthType = z.object(clusterHealthShape).meta({ id: "ClusterHealth", description: "The cluster's health as one read saw it." });

export const getClusterHealth = defineFunction(
  "getClusterHealth",
  (args) => readHealth(args),
  healthSchema,
  clusterHealthOutputs,
  "Reads every member and returns, per member and backend, serving/total, percent, rolling-restart safety, rate, backlog and each server's state. A member that cannot be read is reported (`ok: false`, with the error) and makes `healthy` false. It only reads, so it runs during preview too.",
);
