// The resources' inputs as the provider receives them: validated with zod, defaults
// applied, preview's unknown values tolerated, and turned into a Cluster.

import { z } from "zod";
import { Cluster } from "../../cluster/cluster";
import { ANALYSIS_FAILURE_POLICIES, type AnalysisFailurePolicy } from "../../cluster/analysis-defaults";
import { HcError } from "../../errors";
import { redactUrl } from "../../member/spec";
import { DEFAULTS, LIMITS } from "../../policy";

/** What the engine sends in place of a value it does not know yet (during preview). */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export function isUnknown(value: unknown): boolean {
  if (value === UNKNOWN) return true;
  if (Array.isArray(value)) return value.some(isUnknown);
  if (value && typeof value === "object") return Object.values(value).some(isUnknown);
  return false;
}

/** The inputs always stored as secrets (the resources wrap them; the docs say so). */
export const SECRET_INPUTS = ["password", "sshPrivateKey", "sshPassphrase"] as const;

const memberList = z
  .array(z.string().min(1))
  .min(1, "name at least one member")
  .refine((specs) => specs.every((s) => redactUrl(s) === s), {
    message: "a member URL holds a password; give it in `password` (kept secret) or HAPROXY_CLUSTER_PASSWORD instead, so that it never lands in plaintext state",
  });

export const connectionSchema = z.object({
  members: memberList,
  username: z.string().optional(),
  password: z.string().optional(),
  requestTimeoutSeconds: z.number().positive().max(LIMITS.maxRequestTimeoutSeconds).default(DEFAULTS.requestTimeoutSeconds),
  caPem: z.string().optional(),
  dangerouslySkipTlsVerify: z.boolean().default(false),
  sshPrivateKey: z.string().optional(),
  sshPassphrase: z.string().optional(),
  sshKnownHosts: z.string().optional(),
  sshJump: z.string().optional(),
  masterSocket: z.boolean().optional(),
  dangerouslyAcceptUnknownHostKey: z.boolean().default(false),
});

export const serverDrainSchema = connectionSchema.extend({
  backend: z.string().min(1),
  server: z.string().min(1),
  mode: z.enum(["drain", "maint"]).default("drain"),
  waitForSessions: z.boolean().default(false),
  drainTimeoutSeconds: z.number().positive().default(DEFAULTS.actionTimeoutSeconds),
  sessionsTimeoutSeconds: z.number().positive().default(DEFAULTS.sessionsTimeoutSeconds),
  onSessionsTimeout: z.enum(["fail", "proceed", "shutdown"]).default("fail"),
  restoreTimeoutSeconds: z.number().positive().default(DEFAULTS.actionTimeoutSeconds),
  minOtherServing: z.number().int().min(0).default(DEFAULTS.minOtherServing),
  force: z.boolean().default(false),
  abandonUnreachableMembers: z.boolean().default(false),
  lifetime: z.enum(["resource", "step"]).default("resource"),
  triggers: z.array(z.unknown()).optional(),
});

/** ClusterReadinessGate.analysis: judge each server put back (defaults: ANALYSIS_DEFAULTS in policy.ts). */
export const analysisSchema = z
  .object({
    bakeSeconds: z.number().positive().optional(),
    timeoutSeconds: z.number().positive().optional(),
    minRequests: z.number().int().min(1).optional(),
    maxErrorPercent: z.number().min(0).max(100).optional(),
    maxErrorPercentOverPeers: z.number().min(0).max(100).optional(),
    responseTimeFactor: z.number().positive().optional(),
    responseTimeFloorMs: z.number().min(0).optional(),
    intervalSeconds: z.number().min(LIMITS.minIntervalSeconds).optional(),
    onFailure: z.enum(ANALYSIS_FAILURE_POLICIES as [AnalysisFailurePolicy, ...AnalysisFailurePolicy[]]).default("fail"),
    onNotEnoughTraffic: z.enum(["fail", "pass"]).default("fail"),
  })
  .strict();

export const readinessGateSchema = connectionSchema.extend({
  backend: z.string().min(1),
  thresholdPercent: z.number().min(0).max(100).default(DEFAULTS.thresholdPercent),
  minChecks: z.number().int().min(1).default(DEFAULTS.minChecks),
  intervalSeconds: z.number().min(LIMITS.minIntervalSeconds).default(DEFAULTS.intervalSeconds),
  timeoutSeconds: z.number().positive().default(DEFAULTS.waitTimeoutSeconds),
  readyServers: z.array(z.string().min(1)).default([]),
  analysis: analysisSchema.optional(),
  triggers: z.array(z.unknown()).optional(),
});

/**
 * RollingRestart: the drain settings are ServerDrain's and the gate's settings and
 * analysis are ClusterReadinessGate's, taken from their schemas so that each default has
 * one home; the descriptions say what each means here.
 */
const drainShape = serverDrainSchema.shape;
const gateShape = readinessGateSchema.shape;
export const rollingRestartSchema = connectionSchema.extend({
  backend: z.string().min(1).describe("The backend whose servers are restarted. A change runs the restart again."),
  servers: z
    .array(z.string().min(1))
    .min(1, "name at least one server, or leave servers out for all of them")
    .optional()
    .describe("The servers, in the order they are restarted. Default: every server of the backend, in the order the first member lists them. A change runs the restart again."),
  command: z
    .array(z.string())
    .min(1, 'give the program to run, e.g. ["systemctl", "restart", "app"]')
    .refine((argv) => argv[0] !== "", { message: "the program (command[0]) is empty" })
    .describe(
      "The restart command as an argv (program, then its arguments), run on the machine that runs `pulumi` (not over SSH), without a shell, once per server, the servers of a batch at once. The server reaches it only through the environment: `HAPROXY_SERVER_NAME` (its name), `HAPROXY_SERVER_ADDR` and `HAPROXY_SERVER_PORT` (from HAProxy's `addr`; empty over a stats page without `stats show-legends`), `HAPROXY_PROXY_NAME` (the backend): the names HAProxy gives an external-check command; for a shell, say so: `[\"sh\", \"-c\", \"systemctl restart \\\"app@$HAPROXY_SERVER_NAME\\\"\"]`. `HAPROXY_CLUSTER_PASSWORD` and `HAPROXY_CLUSTER_SSH_PASSPHRASE` are removed from its environment. Its output goes to Pulumi's log, each line prefixed `[server]`; exit status 0 is success. A change runs the restart again.",
    ),
  commandTimeoutSeconds: z
    .number()
    .positive()
    .default(DEFAULTS.commandTimeoutSeconds)
    .describe(
      `Deadline of one run of the command, in seconds: then SIGTERM to its process group, SIGKILL ${DEFAULTS.commandKillGraceSeconds} s later, and the run stops with the server left drained. Default ${DEFAULTS.commandTimeoutSeconds}.`,
    ),
  batchSize: z.number().int().min(1).default(1).describe("Servers out of rotation at once. Default 1."),
  mode: drainShape.mode,
  drainTimeoutSeconds: drainShape.drainTimeoutSeconds,
  waitForSessions: drainShape.waitForSessions,
  sessionsTimeoutSeconds: drainShape.sessionsTimeoutSeconds,
  onSessionsTimeout: drainShape.onSessionsTimeout.describe("What happens at the sessions deadline: `fail` (the run stops, the batch left drained and recorded), `proceed`, or `shutdown` (kill the remaining sessions). Default `fail`."),
  restoreTimeoutSeconds: drainShape.restoreTimeoutSeconds.describe(
    "Deadline for a batch to be serving again on fresh checks on every member after its command, in seconds (also for delete putting back a server a stopped run left drained). Default 120.",
  ),
  minOtherServing: drainShape.minOtherServing,
  force: drainShape.force,
  thresholdPercent: gateShape.thresholdPercent,
  minChecks: gateShape.minChecks,
  intervalSeconds: gateShape.intervalSeconds,
  gateTimeoutSeconds: gateShape.timeoutSeconds.describe("Deadline of the gate before each batch, in seconds. Default 300."),
  analysis: gateShape.analysis.describe(
    "Judge each batch once back (error rate and response time against the other servers), as ClusterReadinessGate's `analysis`; a failed verdict stops the run (with `onFailure: drain` the server is left drained and listed in `drainedServers`). Default: no analysis.",
  ),
  triggers: drainShape.triggers.describe("Any values (e.g. the app version); a change runs the restart again on the next `pulumi up`."),
});

export const healthSchema = connectionSchema.extend({
  backends: z.array(z.string().min(1)).optional(),
});

export type ConnectionInputs = z.output<typeof connectionSchema>;
export type ServerDrainInputs = z.output<typeof serverDrainSchema>;
export type ReadinessGateInputs = z.output<typeof readinessGateSchema>;
export type HealthInputs = z.output<typeof healthSchema>;
export type RollingRestartInputs = z.output<typeof rollingRestartSchema>;
export type AnalysisInputs = z.output<typeof analysisSchema>;

/**
 * Inputs whose value may hold a secret (a member URL with a password in it, SSH key
 * material). The engine prints "property P value {…} has a problem" for a named
 * property, echoing the value: failures on these name no property, and say which one in
 * the reason instead. A misspelt input named like a secret (`sshPrivatekey`) is treated
 * the same.
 */
const SECRET_BEARING: ReadonlySet<string> = new Set(["members", "password", "username", "sshPrivateKey", "sshPassphrase"]);
const SECRET_LIKE_NAME = /pass|key|secret|token|credential/i;

/** A failure the engine can print without echoing a value that may be secret. */
function failure(property: string, reason: string, known = true): CheckFailure {
  const secret = known ? SECRET_BEARING.has(property) : SECRET_LIKE_NAME.test(property);
  return secret ? { property: "", reason: `${property}: ${reason}` } : { property, reason };
}

export interface CheckFailure {
  property: string;
  reason: string;
}

/**
 * The engine's `check`: apply defaults and report problems per property. Properties
 * that are unknown during preview are passed through untouched and not validated.
 */
export function checkInputs<S extends z.ZodObject<z.ZodRawShape>>(
  schema: S,
  news: Record<string, unknown>,
  outputKeys: readonly string[] = [],
): { inputs: Record<string, unknown>; failures: CheckFailure[] } {
  // A misspelt input (`timeoutSecond`) would otherwise be ignored and its default kept.
  const stray = Object.keys(news).filter((k) => !(k in schema.shape) && k !== "__provider" && !outputKeys.includes(k) && news[k] !== undefined && news[k] !== null);
  if (stray.length > 0) {
    return { inputs: news, failures: stray.map((k) => failure(k, `unknown input ${k}; known inputs: ${Object.keys(schema.shape).join(", ")}`, false)) };
  }
  const known: Record<string, unknown> = {};
  const unknown: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(news)) (isUnknown(v) ? unknown : known)[k] = v;
  // Validate only what is known: a partial schema for the unknown keys.
  const mask = Object.fromEntries(Object.keys(unknown).filter((k) => k in schema.shape).map((k) => [k, true as const]));
  const partial = Object.keys(mask).length > 0 ? schema.omit(mask as never) : schema;
  const parsed = partial.passthrough().safeParse(known);
  if (!parsed.success) {
    return {
      inputs: news,
      failures: parsed.error.issues.map((i) => failure(String(i.path[0] ?? ""), i.message)),
    };
  }
  return { inputs: { ...(parsed.data as Record<string, unknown>), ...unknown }, failures: [] };
}

/** Parses inputs that must be complete (create, update, delete, read). */
export function parseInputs<S extends z.ZodTypeAny>(schema: S, props: Record<string, unknown>, what: string): z.output<S> {
  const parsed = schema.safeParse(props);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join(".") || what}: ${i.message}`).join("; ");
    throw new HcError("HC_BAD_SPEC", `${what}: invalid inputs (${issues}).`);
  }
  return parsed.data;
}

/** The cluster these inputs name; the password comes from the inputs or HAPROXY_CLUSTER_PASSWORD. */
export function clusterFrom(inputs: ConnectionInputs, members: readonly string[] = inputs.members): Cluster {
  return new Cluster(members, {
    username: inputs.username,
    password: inputs.password,
    requestTimeoutSeconds: inputs.requestTimeoutSeconds,
    caPem: inputs.caPem,
    dangerouslySkipTlsVerify: inputs.dangerouslySkipTlsVerify,
    sshPrivateKey: inputs.sshPrivateKey,
    sshPassphrase: inputs.sshPassphrase,
    sshKnownHosts: inputs.sshKnownHosts,
    sshJump: inputs.sshJump,
    masterSocket: inputs.masterSocket,
    dangerouslyAcceptUnknownHostKey: inputs.dangerouslyAcceptUnknownHostKey,
  });
}

/** Inputs as stored in outputs: everything but the password and SSH key material (which stay secret inputs). */
export function publicInputs<T extends { password?: string; sshPrivateKey?: string; sshPassphrase?: string }>(inputs: T): Omit<T, "password" | "sshPrivateKey" | "sshPassphrase"> {
  const { password: _password, sshPrivateKey: _key, sshPassphrase: _passphrase, ...rest } = inputs;
  return rest;
}

/**
 * The input properties whose values differ between the old outputs and the new inputs.
 * Defaults are applied to both sides first, so an input left out is not a change from
 * its default. Unknown values (preview) count as changed.
 */
export function changedInputs<S extends z.ZodObject<z.ZodRawShape>>(schema: S, olds: Record<string, unknown>, news: Record<string, unknown>): string[] {
  const normalise = (bag: Record<string, unknown>): Record<string, unknown> => {
    const out = withDefaults(schema);
    for (const [k, v] of Object.entries(bag)) if (k in schema.shape && v !== undefined) out[k] = v;
    return out;
  };
  const a = normalise(olds);
  const b = normalise(news);
  return Object.keys(schema.shape).filter((k) => JSON.stringify(a[k] ?? null) !== JSON.stringify(b[k] ?? null));
}

/** Each field's default value, read from the schema. */
function withDefaults(schema: z.ZodObject<z.ZodRawShape>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, field] of Object.entries(schema.shape)) {
    const r = (field as z.ZodTypeAny).safeParse(undefined);
    if (r.success && r.data !== undefined) out[k] = r.data;
  }
  return out;
}
