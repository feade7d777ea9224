// The resources' inputs as the provider receives them: validated with zod, defaults
// applied, preview's unknown values tolerated, and turned into a Cluster.

import { z } from "zod";
import { Cluster } from "../../cluster/cluster";
import { ANALYSIS_FAILURE_POLICIES, type AnalysisFailurePolicy } from "../../cluster/analysis-defaults";
import { HcError } from "../../errors";
import { redactUrl } from "../../member/spec";
import { ANALYSIS_DEFAULTS, DEFAULTS, LIMITS } from "../../policy";

/** What the engine sends in place of a value it does not know yet (during preview). */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export function isUnknown(value: unknown): boolean {
  if (value === UNKNOWN) return true;
  if (Array.isArray(value)) return value.some(isUnknown);
  if (value && typeof value === "object") return Object.values(value).some(isUnknown);
  return false;
}

/** The inputs always stored as secrets (the resources and the plugin wrap them; the schema and the docs say so). */
export const SECRET_INPUTS = ["password", "sshPrivateKey", "sshPassphrase"] as const;

// Every field's `.describe()` is its documentation in the plugin's schema.json (generated
// from these schemas by provider/plugin/schema.ts), so it states the unit and the default.

const memberList = z
  .array(z.string().min(1))
  .min(1, "name at least one member")
  .refine((specs) => specs.every((s) => redactUrl(s) === s), {
    message: "a member URL holds a password; give it in `password` (kept secret) or HAPROXY_CLUSTER_PASSWORD instead, so that it never lands in plaintext state",
  });

export const connectionSchema = z.object({
  members: memberList.describe(
    "The HAProxy members: stats page URLs (`http(s)://host:port/stats`, without a password), Runtime API sockets (`unix:/path.sock`, `/path.sock`, `tcp://host:port`, `ssh://[user@]host[:port]/path.sock`). A URL holding a password is refused: give it in `password`.",
  ),
  username: z.string().optional().describe("Stats page user. Default: `HAPROXY_CLUSTER_USER` in the environment of `pulumi`."),
  password: z.string().optional().describe("Stats page password. Always stored as a secret. Default: `HAPROXY_CLUSTER_PASSWORD` in the environment of `pulumi`."),
  requestTimeoutSeconds: z
    .number()
    .positive()
    .max(LIMITS.maxRequestTimeoutSeconds)
    .default(DEFAULTS.requestTimeoutSeconds)
    .describe(`Deadline of one request to one member, in seconds (at most ${LIMITS.maxRequestTimeoutSeconds}). Default ${DEFAULTS.requestTimeoutSeconds}.`),
  caPem: z.string().optional().describe("PEM CA certificate(s) trusted for https members."),
  dangerouslySkipTlsVerify: z.boolean().default(false).describe("Skip TLS certificate checks for https members (unsafe: the password can be read on the path). Default false."),
  sshPrivateKey: z
    .string()
    .optional()
    .describe("ssh members: a private key (OpenSSH or PEM text). Always stored as a secret. Default: the SSH agent and key file of the environment of `pulumi` (`SSH_AUTH_SOCK`, `HAPROXY_CLUSTER_SSH_IDENTITY`).")
    ,
  sshPassphrase: z.string().optional().describe("ssh members: the private key's passphrase. Always stored as a secret. Default: `HAPROXY_CLUSTER_SSH_PASSPHRASE`."),
  sshKnownHosts: z.string().optional().describe("ssh members: known_hosts lines to verify host keys against. Default: ~/.ssh/known_hosts (or `HAPROXY_CLUSTER_SSH_KNOWN_HOSTS`)."),
  sshJump: z.string().optional().describe("ssh members: a bastion, `[user@]host[:port]` (like ProxyJump)."),
  masterSocket: z
    .boolean()
    .optional()
    .describe("Runtime API members: whether each socket is HAProxy's master CLI (`-S`); a wrong value is refused by name. Default: detected from the socket's answers, at the cost of one refused read per member."),
  dangerouslyAcceptUnknownHostKey: z
    .boolean()
    .default(false)
    .describe("ssh members: accept a host key known_hosts lacks (throwaway environments only; a changed key is refused anyway). Default false."),
});

export const serverDrainSchema = connectionSchema.extend({
  backend: z.string().min(1).describe("The backend holding the server. A change replaces the resource."),
  server: z.string().min(1).describe("The server to take out. A change replaces the resource (the old one is put back first)."),
  mode: z.enum(["drain", "maint"]).default("drain").describe("`drain` (no new sessions; persistent ones continue) or `maint` (no traffic at all). Default `drain`."),
  waitForSessions: z.boolean().default(false).describe("After taking it out, wait until the server has no session and no queued request on any member. Default false."),
  drainTimeoutSeconds: z
    .number()
    .positive()
    .default(DEFAULTS.actionTimeoutSeconds)
    .describe(`Deadline for the drain (or maint) to be seen on every member, in seconds. Default ${DEFAULTS.actionTimeoutSeconds}, as the CLI's \`drain --wait\` and the library.`),
  sessionsTimeoutSeconds: z.number().positive().default(DEFAULTS.sessionsTimeoutSeconds).describe(`Deadline of the sessions wait, in seconds. Default ${DEFAULTS.sessionsTimeoutSeconds}.`),
  onSessionsTimeout: z
    .enum(["fail", "proceed", "shutdown"])
    .default("fail")
    .describe(
      "What happens at the sessions deadline: `fail` (the create fails; the server stays out and the state records where), `proceed` (succeed, recording the sessions left), or `shutdown` (kill the remaining sessions, then succeed). Default `fail`.",
    ),
  restoreTimeoutSeconds: z
    .number()
    .positive()
    .default(DEFAULTS.actionTimeoutSeconds)
    .describe(`On delete: deadline for the server to be serving again on fresh checks on every member, in seconds. Default ${DEFAULTS.actionTimeoutSeconds}.`),
  minOtherServing: z
    .number()
    .int()
    .min(0)
    .default(DEFAULTS.minOtherServing)
    .describe(
      `Capacity guard: refuse to take the server out unless at least this many OTHER servers of the backend keep serving on every member. It looks at the backend after the removal, so the default ${DEFAULTS.minOtherServing} lets a healthy 3-server backend lose one. Default ${DEFAULTS.minOtherServing}.`,
    ),
  force: z.boolean().default(false).describe("Skip the capacity guard. Default false."),
  abandonUnreachableMembers: z
    .boolean()
    .default(false)
    .describe(
      "The way out when a member is gone for good: delete, update and refresh then drop a member that cannot be reached (unreachable or timing out) from the record instead of failing, and name it in `abandonedOn`. Set it with `pulumi up`, then destroy or refresh. Default false: an unreachable member fails delete and refresh keeps its record.",
    ),
  lifetime: z
    .enum(["resource", "step"])
    .default("resource")
    .describe(
      "`resource` (default): out for as long as the resource exists; delete puts it back. `step`: one step of a rolling deploy; the gate after it puts it back, delete does nothing, and refresh does not report the server serving again as drift.",
    ),
  triggers: z.array(z.unknown()).optional().describe("Any values; a change replaces the resource, i.e. takes the server out again."),
});

/**
 * BackendServer: a server added at run time on every member. The sessions settings of its
 * removal are ServerDrain's, taken from its schema so that each default has one home.
 */
export const backendServerSchema = connectionSchema.extend({
  backend: z.string().min(1).describe("The backend the server is added to. A change replaces the resource (the new one is added and serving before the old one is removed)."),
  server: z
    .string()
    .min(1)
    .optional()
    .describe(
      "The server's name in HAProxy. Default: `namePrefix`, a dash and 8 random hex digits, new at every replacement, so that the new server can be added (and serving) before the old one is removed. A name given here is kept by a replacement, which then fails (HAProxy holds one server of a name per backend): leave it out for servers that are replaced. A change replaces the resource.",
    ),
  namePrefix: z
    .string()
    .min(1)
    .optional()
    .describe("The start of the generated name when `server` is left out. Default: the resource's name. A change replaces the resource."),
  address: z
    .string()
    .min(1)
    .describe("Where the server listens, `HOST:PORT` (an IPv4 address or host name, or `[IPv6]:PORT`). A change replaces the resource: the server at the new address serves before the old one leaves."),
  checkIntervalMs: z
    .number()
    .int()
    .min(1)
    .default(DEFAULTS.addedServerCheckIntervalMs)
    .describe(
      `Health-check interval of the added server, in milliseconds (rise and fall are copied from a checked server of the backend, or HAProxy's defaults (rise ${DEFAULTS.addedServerRise}, fall ${DEFAULTS.addedServerFall}) when none is checked: the server always enters rotation on fresh checks). Default ${DEFAULTS.addedServerCheckIntervalMs}, HAProxy's own. A change replaces the resource.`,
    ),
  weight: z
    .number()
    .int()
    .min(0)
    .max(LIMITS.maxWeight)
    .optional()
    .describe(`Weight of the server (0-${LIMITS.maxWeight}). Default: the configured weight of the backend's first server with one above 0, else HAProxy's 1. A change replaces the resource.`),
  readyTimeoutSeconds: z
    .number()
    .positive()
    .default(DEFAULTS.actionTimeoutSeconds)
    .describe(
      `Create and update: deadline for the added server to be serving on fresh health checks on every member, in seconds; past it, \`pulumi up\` fails and the state records where it was added (the next \`up\` tries again). Default ${DEFAULTS.actionTimeoutSeconds}.`,
    ),
  sessionsTimeoutSeconds: serverDrainSchema.shape.sessionsTimeoutSeconds.describe(
    `Delete: deadline for the drained server's sessions and queue to reach 0 on every member, in seconds. Default ${DEFAULTS.sessionsTimeoutSeconds}.`,
  ),
  onSessionsTimeout: serverDrainSchema.shape.onSessionsTimeout.describe(
    "Delete: what happens at the sessions deadline: `fail` (the delete fails; the server stays drained, still in state), `proceed` (remove it with its sessions), or `shutdown` (kill the remaining sessions, then remove it). Default `fail`.",
  ),
  removeTimeoutSeconds: z
    .number()
    .positive()
    .default(DEFAULTS.actionTimeoutSeconds)
    .describe(`Delete: deadline of the removal on each member (HAProxy 3.0 and later wait until the server is removable), in seconds. Default ${DEFAULTS.actionTimeoutSeconds}.`),
  minOtherServing: serverDrainSchema.shape.minOtherServing.describe(
    `Delete: the capacity guard: refuse to remove the server unless at least this many OTHER servers of the backend keep serving on every member, a member that already lost it (a reload) included. Default ${DEFAULTS.minOtherServing}.`,
  ),
  force: serverDrainSchema.shape.force.describe("Delete: skip the capacity guard. Default false."),
  abandonUnreachableMembers: serverDrainSchema.shape.abandonUnreachableMembers,
  triggers: z.array(z.unknown()).optional().describe("Any values; a change replaces the resource, i.e. adds a new server (auto-named) and then removes the old one."),
});

/** BackendServer's default `namePrefix`: the resource's name, made a HAProxy name (provider/input-rules.ts allows `A-Za-z0-9._:-`). */
export function namePrefixOf(resourceName: string): string {
  return resourceName.replace(/[^A-Za-z0-9._:-]/g, "-");
}

/** ClusterReadinessGate.analysis: judge each server put back (defaults: ANALYSIS_DEFAULTS in policy.ts). */
export const analysisSchema = z
  .object({
    bakeSeconds: z.number().positive().optional().describe(`Seconds each server is watched once back. Default ${ANALYSIS_DEFAULTS.bakeSeconds}.`),
    timeoutSeconds: z.number().positive().optional().describe(`While fewer than minRequests arrived the window extends up to this, in seconds. Default ${ANALYSIS_DEFAULTS.timeoutFactor} × bakeSeconds.`),
    minRequests: z.number().int().min(1).optional().describe(`Requests (all members together) before any verdict. Default ${ANALYSIS_DEFAULTS.minRequests}.`),
    maxErrorPercent: z.number().min(0).max(100).optional().describe(`Ceiling on the server's error rate (5xx + eresp + econ over its requests), in percent. Default ${ANALYSIS_DEFAULTS.maxErrorPercent}.`),
    maxErrorPercentOverPeers: z.number().min(0).max(100).optional().describe(`Percentage points its error rate may exceed its peers' over the same window. Default ${ANALYSIS_DEFAULTS.maxErrorPercentOverPeers}.`),
    responseTimeFactor: z.number().positive().optional().describe(`Its mean response time may be at most this factor × its peers'. Default ${ANALYSIS_DEFAULTS.responseTimeFactor}.`),
    responseTimeFloorMs: z.number().min(0).optional().describe(`Peers' response time is taken as at least this, in milliseconds. Default ${ANALYSIS_DEFAULTS.responseTimeFloorMs}.`),
    intervalSeconds: z
      .number()
      .min(LIMITS.minIntervalSeconds)
      .optional()
      .describe(`Seconds between reads of every member (at least ${LIMITS.minIntervalSeconds}). Default ${ANALYSIS_DEFAULTS.intervalSeconds}.`),
    onFailure: z
      .enum(ANALYSIS_FAILURE_POLICIES as [AnalysisFailurePolicy, ...AnalysisFailurePolicy[]])
      .default("fail")
      .describe("On a regression: `fail` (the gate fails with the verdict; the server keeps serving) or `drain` (drain it on every member, then fail). Default `fail`."),
    onNotEnoughTraffic: z.enum(["fail", "pass"]).default("fail").describe("Too little traffic for a verdict: `fail` the gate, or `pass` it. Default `fail`."),
  })
  .strict()
  .meta({ id: "GateAnalysis", description: "Judging each server put back (`readyServers`) against its peers, from HAProxy's counters on every member." });

export const readinessGateSchema = connectionSchema.extend({
  backend: z.string().min(1).describe("The backend to wait for."),
  thresholdPercent: z
    .number()
    .min(0)
    .max(100)
    .default(DEFAULTS.thresholdPercent)
    .describe(`Share of the backend's active servers that must be serving on every member, in percent. Default ${DEFAULTS.thresholdPercent}.`),
  minChecks: z.number().int().min(1).default(DEFAULTS.minChecks).describe(`Consecutive passing checks required. Default ${DEFAULTS.minChecks}.`),
  intervalSeconds: z
    .number()
    .min(LIMITS.minIntervalSeconds)
    .default(DEFAULTS.intervalSeconds)
    .describe(`Seconds between checks (at least ${LIMITS.minIntervalSeconds}). Default ${DEFAULTS.intervalSeconds}.`),
  timeoutSeconds: z
    .number()
    .positive()
    .default(DEFAULTS.waitTimeoutSeconds)
    .describe(`Hard deadline of the whole gate (putting servers back included), in seconds. Default ${DEFAULTS.waitTimeoutSeconds}.`),
  readyServers: z
    .array(z.string().min(1))
    .default([])
    .describe("Servers to put back first, on fresh health checks (exactly as `haproxy-cluster ready --wait`): how a rolling deploy releases the server it just redeployed. Default none."),
  analysis: analysisSchema
    .optional()
    .describe("Judge each of `readyServers` once back (error rate and response time against its peers); a failed analysis fails the gate, so `pulumi up` stops with the verdict in the error. Default: no analysis."),
  triggers: z.array(z.unknown()).optional().describe("Any values; a change re-runs the gate on the next `pulumi up`."),
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
  batchSize: z.number().int().min(1).default(DEFAULTS.batchSize).describe(`Servers out of rotation at once. Default ${DEFAULTS.batchSize}.`),
  mode: drainShape.mode,
  drainTimeoutSeconds: drainShape.drainTimeoutSeconds,
  waitForSessions: drainShape.waitForSessions,
  sessionsTimeoutSeconds: drainShape.sessionsTimeoutSeconds,
  onSessionsTimeout: drainShape.onSessionsTimeout.describe("What happens at the sessions deadline: `fail` (the run stops, the batch left drained and recorded), `proceed`, or `shutdown` (kill the remaining sessions). Default `fail`."),
  restoreTimeoutSeconds: drainShape.restoreTimeoutSeconds.describe(
    `Deadline for a batch to be serving again on fresh checks on every member after its command, in seconds (also for delete putting back a server a stopped run left drained). Default ${DEFAULTS.actionTimeoutSeconds}.`,
  ),
  minOtherServing: drainShape.minOtherServing,
  force: drainShape.force,
  thresholdPercent: gateShape.thresholdPercent,
  minChecks: gateShape.minChecks,
  intervalSeconds: gateShape.intervalSeconds,
  gateTimeoutSeconds: gateShape.timeoutSeconds.describe(`Deadline of the gate before each batch, in seconds. Default ${DEFAULTS.waitTimeoutSeconds}.`),
  analysis: gateShape.analysis.describe(
    "Judge each batch once back (error rate and response time against the other servers), as ClusterReadinessGate's `analysis`; a failed verdict stops the run (with `onFailure: drain` the server is left drained and listed in `drainedServers`). Default: no analysis.",
  ),
  triggers: drainShape.triggers.describe("Any values (e.g. the app version); a change runs the restart again on the next `pulumi up`."),
});

export const healthSchema = connectionSchema.extend({
  backends: z.array(z.string().min(1)).optional().describe("Backends to report. Default: every backend that has servers."),
});

export type ConnectionInputs = z.output<typeof connectionSchema>;
export type ServerDrainInputs = z.output<typeof serverDrainSchema>;
export type BackendServerInputs = z.output<typeof backendServerSchema>;
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

/** What the plugin knows of a resource at `check` beyond its inputs (the Node dynamic provider knows none of it). */
export interface CheckContext {
  /** The resource's name (the URN's last part). */
  resourceName?: string;
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

/** Runs `fn` on the cluster these inputs name (or those of its members given), closing its connections however it ends. */
export async function withCluster<T>(inputs: ConnectionInputs, members: readonly string[], fn: (cluster: Cluster) => Promise<T>): Promise<T> {
  const cluster = clusterFrom(inputs, members);
  try {
    return await fn(cluster);
  } finally {
    await cluster.close();
  }
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
