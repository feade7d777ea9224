// RollingRestart's lifecycle: the shell deploy loop as a resource any Pulumi language can
// use. Per batch of servers: wait until the backend is rolling-restart safe on every
// member, drain the batch (capacity guard, sessions policy), run the restart command for
// each server while the drain is held across reloads, put the batch back on fresh
// checks, judge it if asked, then the next batch. A failure stops the run with the
// failing server left out of rotation, and the outputs say where, as the CLI's held
// restart does; the next `pulumi up` restarts it first and carries on.

import { randomUUID } from "node:crypto";
import { z } from "zod";
import type { AnalysisVerdict } from "../../cluster/analysis";
import type { Cluster } from "../../cluster/cluster";
import type { ClusterSnapshot } from "../../cluster/cluster-snapshot";
import { commandSucceeded, describeCommandResult, runCommand, type CommandResult } from "../../cluster/command";
import { applyServerAction, waitForSessions, type ServerActionReport } from "../../cluster/actions";
import { HcError, HcPartialFailure, isHcError } from "../../errors";
import { splitAddress } from "../../model/server";
import { changedInputs, checkInputs, clusterFrom, parseInputs, rollingRestartSchema, withCluster, type RollingRestartInputs } from "./inputs";
import { analyse } from "./readiness-gate";
import { partialFailure, type DiffResult, type ProviderProps } from "./results";

/**
 * What happened to one server in the last run. A zod schema so that a plugin's schema.json
 * can be generated from it, as from the inputs.
 */
export const serverRestartSchema = z
  .object({
    batch: z.number().int().describe("Its batch, counting from 1."),
    outcome: z.enum(["restarted", "failed"]).describe("`restarted`: drained, the command passed, serving again on fresh checks on every member (and judged good, with analysis). `failed`: see `error`."),
    error: z.string().optional().describe("Why it failed, one sentence."),
    drainedAt: z.string().optional().describe("When it was taken out of rotation (ISO 8601)."),
    drainedOn: z.array(z.string()).optional().describe("Members on which it was taken out."),
    sessionsAtDeadline: z.record(z.string(), z.number()).optional().describe("Sessions left per member at the sessions deadline (`onSessionsTimeout` proceed or shutdown), summed over its batch."),
    sessionsDeadlineAction: z.enum(["proceed", "shutdown"]).optional().describe("What happened at the sessions deadline, if it was reached."),
    commandExitCode: z.number().int().optional().describe("The command's exit status; absent when a signal ended it."),
    commandSignal: z.string().optional().describe("The signal that ended the command (SIGTERM, SIGKILL at the deadline)."),
    commandTimedOut: z.boolean().optional().describe("True when the command overran `commandTimeoutSeconds`."),
    commandSeconds: z.number().optional().describe("How long the command ran, in seconds."),
    restartedAt: z.string().optional().describe("When it was serving again on fresh checks on every member (ISO 8601)."),
    verdict: z.record(z.string(), z.unknown()).optional().describe("With `analysis`: the verdict on it once back (outcome, the numbers of the server and of its peers, per member)."),
    reloadWarnings: z.array(z.string()).optional().describe("Reloads that undid its drain while the command ran, one sentence each (the drain was applied again)."),
    leftDrained: z.boolean().describe("True when this run left it out of rotation (see `drainedServers`)."),
  })
  .meta({ id: "ServerRestart", description: "What a RollingRestart did to one server in its last run." });

export type ServerRestart = Omit<z.output<typeof serverRestartSchema>, "verdict"> & { verdict?: AnalysisVerdict };

/** What RollingRestart adds to its inputs in state. */
export const rollingRestartOutputs = z.object({
  restarts: z.record(z.string(), serverRestartSchema).describe("Per server, what the last run did."),
  drainedServers: z.array(z.string()).describe("Servers the last run left out of rotation (a failed command or verdict); empty when it went through. The next `pulumi up` restarts them first."),
  startedAt: z.string().describe("When the last run began (ISO 8601)."),
  completedAt: z.string().optional().describe("When the last run finished with every server back (ISO 8601); absent when it stopped."),
});

/** Outputs repeat the inputs (delete and refresh receive only outputs); the resource marks the secrets secret. */
export type RollingRestartOutputs = RollingRestartInputs & Omit<z.output<typeof rollingRestartOutputs>, "restarts"> & { restarts: Record<string, ServerRestart> };

const OUTPUT_KEYS = Object.keys(rollingRestartOutputs.shape);

/** Inputs whose change restarts the servers again; other changes are recorded only. */
const RERUN_ON = ["triggers", "command", "backend", "servers"] as const;

/** A line of progress (stdout) or of the command's output (either stream). */
export type LogLine = (stream: "stdout" | "stderr", text: string) => void;

/**
 * Where progress and the command's output go by default: the provider process's stdout and
 * stderr. The engine shows a dynamic provider's (pulumi-resource-pulumi-nodejs) as the
 * update's diagnostics; a plugin's it hides at debug level, so a plugin passes its own
 * `log` to create and update (the engine's Log RPC, with the resource's URN). Replaceable by tests.
 */
export const output: { line: LogLine } = {
  line(stream, text) {
    (stream === "stdout" ? process.stdout : process.stderr).write(`${text}\n`);
  },
};

/** What a provider host may pass to create and update beyond the engine's arguments. */
export interface HostOptions {
  /** Default `output.line`. */
  log?: LogLine;
}

export function check(_olds: ProviderProps, news: ProviderProps) {
  return checkInputs(rollingRestartSchema, news, OUTPUT_KEYS);
}

/**
 * Changing `triggers`, `command`, `backend` or `servers` runs the restart again (as an
 * update: nothing is ever replaced); so does any `up` after a run that stopped. Other
 * changes (deadlines, the sessions policy, connection settings) are recorded only.
 */
export function diff(_id: string, olds: ProviderProps, news: ProviderProps): DiffResult {
  const changed = changedInputs(rollingRestartSchema, olds, news);
  if (olds.completedAt === undefined) changed.push("completedAt");
  return { changes: changed.length > 0, replaces: [] };
}

export async function create(props: ProviderProps, host: HostOptions = {}): Promise<{ id: string; outs: ProviderProps }> {
  const inputs = parseInputs(rollingRestartSchema, props, "RollingRestart");
  const id = `${inputs.backend}/${randomUUID()}`;
  return { id, outs: await rollOut(id, inputs, props, host.log ?? output.line) };
}

export async function update(id: string, olds: ProviderProps, news: ProviderProps, host: HostOptions = {}): Promise<{ outs: ProviderProps }> {
  const inputs = parseInputs(rollingRestartSchema, news, "RollingRestart");
  const old = olds as unknown as RollingRestartOutputs;
  const rerun = old.completedAt === undefined || changedInputs(rollingRestartSchema, olds, news).some((k) => (RERUN_ON as readonly string[]).includes(k));
  if (!rerun) return { outs: { ...olds, ...inputs } };
  return { outs: await rollOut(id, inputs, news, host.log ?? output.line, old) };
}

/**
 * A restart is an event, not a state: nothing to undo, except servers a stopped run left
 * out of rotation, which are put back on fresh checks (as ServerDrain's delete does), so
 * that no server stays out without a record.
 */
export async function remove(_id: string, props: ProviderProps): Promise<void> {
  const state = props as unknown as RollingRestartOutputs;
  if (!state.drainedServers || state.drainedServers.length === 0) return;
  const inputs = parseInputs(rollingRestartSchema, props, "RollingRestart");
  const drained = state.drainedServers;
  await withCluster(inputs, inputs.members, (cluster) => applyServerAction(cluster, inputs.backend, drained, "ready", { wait: true, timeoutSeconds: inputs.restoreTimeoutSeconds }));
}

/**
 * `pulumi refresh`: a server left drained that is back in rotation on every member (put
 * back by hand) drops out of `drainedServers`. A member that cannot be read keeps the record.
 */
export async function read(id: string, props: ProviderProps): Promise<{ id: string; props: ProviderProps }> {
  const state = props as unknown as RollingRestartOutputs;
  if (!state.drainedServers || state.drainedServers.length === 0) return { id, props };
  const inputs = parseInputs(rollingRestartSchema, props, "RollingRestart");
  const snap = await withCluster(inputs, inputs.members, (cluster) => cluster.snapshot({ backend: inputs.backend }));
  if (snap.errors.size > 0) return { id, props };
  const stillOut = state.drainedServers.filter((server) => [...snap.snapshots.values()].some((s) => s.backend(inputs.backend).server(server).admin !== "ready"));
  return { id, props: { ...props, drainedServers: stillOut } };
}

/** One run over every batch. Throws a partial failure carrying the record when it stops after touching a server. */
async function rollOut(id: string, inputs: RollingRestartInputs, props: ProviderProps, log: LogLine, previous?: RollingRestartOutputs): Promise<ProviderProps> {
  const say = (text: string): void => log("stdout", `RollingRestart ${inputs.backend}: ${text}`);
  const outs: RollingRestartOutputs = { ...inputs, restarts: {}, drainedServers: [...(previous?.drainedServers ?? [])], startedAt: new Date().toISOString() };
  const cluster = clusterFrom(inputs);
  try {
    const first = await cluster.snapshot({ backend: inputs.backend });
    const listed = serversOf(first, inputs);
    // Servers a stopped run left drained go first: they are out already, so no gate.
    const resumed = listed.filter((s) => outs.drainedServers.includes(s));
    const order = [...resumed, ...listed.filter((s) => !resumed.includes(s))];
    const batches: string[][] = [];
    for (let i = 0; i < order.length; i += inputs.batchSize) batches.push(order.slice(i, i + inputs.batchSize));
    say(`restarting ${order.join(", ")} in ${batches.length} batch${batches.length === 1 ? "" : "es"} of up to ${inputs.batchSize}.`);
    const unaddressed = order.filter((s) => commandEnv(first, inputs.backend, s).HAPROXY_SERVER_ADDR === "");
    if (unaddressed.length > 0) say(`no member shows the address of ${unaddressed.join(", ")} (a stats page shows it only with \`stats show-legends\`): HAPROXY_SERVER_ADDR and HAPROXY_SERVER_PORT are empty for ${unaddressed.length === 1 ? "it" : "them"}.`);
    for (const [i, batch] of batches.entries()) {
      await restartBatch(cluster, inputs, first, batch, i + 1, batch.some((s) => resumed.includes(s)), outs, log, say);
    }
    outs.completedAt = new Date().toISOString();
    say(`every server restarted and back in rotation.`);
    return clean(outs);
  } catch (error) {
    // Refused before anything was touched (a misspelt server, an unreadable member): nothing new to record.
    const touched = Object.keys(outs.restarts).length > 0 || outs.drainedServers.length > 0;
    if (!touched) throw error;
    throw partialFailure(id, clean(outs), props, error);
  } finally {
    await cluster.close();
  }
}

/** The servers to restart: the inputs', checked against every member, or every server of the backend. */
function serversOf(first: ClusterSnapshot, inputs: RollingRestartInputs): string[] {
  const unread = [...first.errors.values()][0];
  if (unread) throw unread;
  const perMember = [...first.snapshots.entries()].map(([member, s]) => ({ member, names: [...s.backend(inputs.backend).servers.keys()] }));
  const wanted = inputs.servers ?? perMember[0]!.names;
  for (const { member, names } of perMember) {
    const missing = wanted.filter((s) => !names.includes(s));
    if (missing.length > 0) {
      throw new HcError("HC_UNKNOWN_SERVER", `${member} has no server ${missing.join(", ")} in backend ${inputs.backend}; nothing was restarted. Check servers (it has ${names.join(", ")}).`, {
        member,
        backend: inputs.backend,
        server: missing[0],
      });
    }
  }
  if (wanted.length === 0) throw new HcError("HC_UNKNOWN_SERVER", `backend ${inputs.backend} has no servers on ${perMember[0]!.member}; nothing to restart.`, { backend: inputs.backend });
  return [...new Set(wanted)];
}

/** The environment a server's command gets: its identity, never spliced into a command line. */
function commandEnv(first: ClusterSnapshot, backend: string, server: string): Record<string, string> {
  // The address as the first member that shows it (the stats page shows it only with `stats show-legends`).
  const addr = [...first.snapshots.values()].map((s) => s.backend(backend).server(server).cell("addr")).find((a) => a !== undefined && a !== "");
  const split = addr ? splitAddress(addr) : undefined;
  return { HAPROXY_PROXY_NAME: backend, HAPROXY_SERVER_NAME: server, HAPROXY_SERVER_ADDR: split?.host ?? "", HAPROXY_SERVER_PORT: split?.port !== undefined ? String(split.port) : "" };
}

async function restartBatch(
  cluster: Cluster,
  inputs: RollingRestartInputs,
  first: ClusterSnapshot,
  batch: string[],
  batchNumber: number,
  alreadyOut: boolean,
  outs: RollingRestartOutputs,
  log: LogLine,
  say: (text: string) => void,
): Promise<void> {
  const { backend } = inputs;
  const subject = `${backend}/${batch.join(",")}`;
  const record = (server: string): ServerRestart => (outs.restarts[server] ??= { batch: batchNumber, outcome: "failed", leftDrained: false });
  const markDrained = (servers: readonly string[], drained: boolean): void => {
    for (const s of servers) {
      record(s).leftDrained = drained;
      outs.drainedServers = drained ? [...new Set([...outs.drainedServers, s])] : outs.drainedServers.filter((d) => d !== s);
    }
  };
  const fail = (servers: readonly string[], error: unknown): never => {
    const message = error instanceof Error ? error.message : String(error);
    for (const s of servers) record(s).error = message;
    throw error;
  };

  if (!alreadyOut) {
    say(`batch ${batchNumber}: waiting until ${backend} is rolling-restart safe on every member.`);
    await cluster.waitUntilRollingRestartable(backend, { thresholdPercent: inputs.thresholdPercent, minChecks: inputs.minChecks, intervalSeconds: inputs.intervalSeconds, timeoutSeconds: inputs.gateTimeoutSeconds });
  }

  // Out of rotation (the capacity guard runs on the read the drain needs anyway).
  let report: ServerActionReport;
  const drainedAt = new Date().toISOString();
  try {
    report = await applyServerAction(cluster, backend, batch, inputs.mode, {
      wait: true,
      timeoutSeconds: inputs.drainTimeoutSeconds,
      force: inputs.force,
      minOtherServing: inputs.minOtherServing,
      onWarning: (m) => say(m),
    });
  } catch (error) {
    const partial = isHcError(error) ? (error.details.report as ServerActionReport | undefined) : undefined;
    const on = error instanceof HcPartialFailure ? [...error.succeeded] : (partial?.changed ?? []);
    for (const s of batch) Object.assign(record(s), { drainedAt, drainedOn: on });
    markDrained(batch, on.length > 0);
    return fail(batch, error);
  }
  for (const s of batch) Object.assign(record(s), { drainedAt, drainedOn: report.changed });
  markDrained(batch, true);
  say(`batch ${batchNumber}: ${subject} is out of rotation (${inputs.mode}) on ${report.changed.join(", ")}.`);

  if (inputs.waitForSessions) {
    try {
      const sessions = await waitForSessions(cluster, backend, batch, {
        timeoutSeconds: inputs.sessionsTimeoutSeconds,
        onSessionsTimeout: inputs.onSessionsTimeout,
        hold: report.hold,
        firstRead: report.readBack,
      });
      if (sessions.deadlineAction) for (const s of batch) Object.assign(record(s), { sessionsDeadlineAction: sessions.deadlineAction, sessionsAtDeadline: sessions.remaining });
    } catch (error) {
      return fail(batch, error);
    }
  }

  // The command, for every server of the batch at once, while a reload cannot undo the drain.
  const program = inputs.command[0]!;
  say(`batch ${batchNumber}: running ${program} for ${batch.join(", ")} (deadline ${inputs.commandTimeoutSeconds} s).`);
  const runs = batch.map((server) =>
    runCommand(inputs.command, {
      env: commandEnv(first, backend, server),
      timeoutSeconds: inputs.commandTimeoutSeconds,
      onLine: (stream, line) => log(stream, `[${server}] ${line}`),
    }),
  );
  const results: CommandResult[] = report.hold ? await report.hold.holdWhile(cluster, Promise.all(runs)) : await Promise.all(runs);
  const warnings = report.hold?.warnings ?? [];
  batch.forEach((server, i) => {
    const r = results[i]!;
    Object.assign(record(server), {
      ...(r.exitCode !== undefined ? { commandExitCode: r.exitCode } : {}),
      ...(r.signal !== undefined ? { commandSignal: r.signal } : {}),
      ...(r.timedOut ? { commandTimedOut: true } : {}),
      commandSeconds: r.seconds,
      ...(warnings.length > 0 ? { reloadWarnings: [...warnings] } : {}),
    });
  });
  const failedRuns = batch.filter((_, i) => !commandSucceeded(results[i]!));
  const passed = batch.filter((s) => !failedRuns.includes(s));

  // Back on fresh checks: only checks made after this count (ready --wait).
  let back: ClusterSnapshot | undefined;
  if (passed.length > 0) {
    say(`batch ${batchNumber}: ${program} passed for ${passed.join(", ")}; putting ${passed.length === 1 ? "it" : "them"} back on fresh health checks.`);
    try {
      // Where they were seen back on every member: the analysis's window starts there.
      ({ reached: back } = await applyServerAction(cluster, backend, passed, "ready", { wait: true, timeoutSeconds: inputs.restoreTimeoutSeconds, onWarning: (m) => say(m) }));
    } catch (error) {
      // Where `ready` was not applied the server is still out; elsewhere it waits for its checks.
      markDrained(passed, error instanceof HcPartialFailure && error.failures.size > 0);
      return fail(passed, error);
    }
    markDrained(passed, false);
    for (const s of passed) record(s).restartedAt = new Date().toISOString();
  }

  if (failedRuns.length > 0) {
    const why = failedRuns.map((s) => `${s}: ${describeCommandResult(program, results[batch.indexOf(s)]!, inputs.commandTimeoutSeconds)}`);
    for (const [i, s] of failedRuns.entries()) record(s).error = why[i]!;
    const they = failedRuns.length === 1 ? "it stays" : "they stay";
    throw new HcError(
      "HC_COMMAND_FAILED",
      `RollingRestart stopped at batch ${batchNumber}: ${why.join("; ")}. ${backend}/${failedRuns.join(",")}: ${they} out of rotation on ${cluster.memberNames.join(", ")} (drainedServers). Fix the app, then run pulumi up again: it restarts ${failedRuns.length === 1 ? "it" : "them"} first and carries on; or put ${failedRuns.length === 1 ? "it" : "them"} back by hand with haproxy-cluster ready --backend ${backend} ${failedRuns.map((s) => `--server ${s}`).join(" ")} --wait.`,
      { backend, server: failedRuns[0], failed: failedRuns },
    );
  }

  if (inputs.analysis) {
    say(`batch ${batchNumber}: judging ${batch.join(", ")} against ${batch.length === 1 ? "its" : "their"} peers.`);
    try {
      const verdicts = await analyse(cluster, backend, batch, inputs.analysis, back);
      for (const s of batch) record(s).verdict = verdicts[s];
    } catch (error) {
      if (isHcError(error, "HC_ANALYSIS_FAILED")) {
        for (const v of (error.details.verdicts as AnalysisVerdict[] | undefined) ?? []) record(v.server).verdict = v;
        markDrained((error.details.drained as string[] | undefined) ?? [], true);
      }
      return fail(batch, error);
    }
  }
  for (const s of batch) record(s).outcome = "restarted";
  say(`batch ${batchNumber}: ${subject} restarted and serving on every member.`);
}

/** The engine's protobuf Struct cannot carry undefined: a JSON copy drops those keys. */
function clean(outs: RollingRestartOutputs): ProviderProps {
  return JSON.parse(JSON.stringify(outs)) as ProviderProps;
}
