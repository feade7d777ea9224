// ServerDrain's lifecycle: while the resource exists, one server of a backend is out of
// rotation on every member. Every outcome is recorded in state, partial ones included,
// so that no server is ever left drained without a record that says so.

import { randomUUID } from "node:crypto";
import type { Cluster } from "../../cluster/cluster";
import type { ClusterSnapshot } from "../../cluster/cluster-snapshot";
import type { ServerHold } from "../../cluster/hold";
import { applyServerAction, waitForSessions, type DrainSessionsResult } from "../../cluster/actions";
import { isUnreachable } from "../../error-codes";
import { HcError, HcPartialFailure, isHcError } from "../../errors";
import { resolveMember } from "../../member/spec";
import { changedInputs, checkInputs, clusterFrom, isUnknown, parseInputs, serverDrainSchema, withCluster, type ServerDrainInputs } from "./inputs";
import { partialFailure, refreshRead, unique, type DiffResult, type ProviderProps } from "./results";
import { holdStep } from "./step-holds";

/**
 * Outputs repeat the inputs (delete and refresh receive only outputs), the password
 * included: the resource marks it secret, so state holds it encrypted.
 */
export interface ServerDrainOutputs extends ServerDrainInputs {
  /** Members on which the server is out of rotation (as far as this resource knows). */
  drainedOn: string[];
  /** Members that could not be changed, with the reason. */
  failedOn: Record<string, string>;
  /** ISO time the drain was applied. */
  drainedAt: string;
  /** Admin state per member at the last read (create, update or refresh). */
  adminState: Record<string, string>;
  /** Sessions left per member when the sessions deadline passed (onSessionsTimeout proceed/shutdown). */
  sessionsAtDeadline?: Record<string, number>;
  /** What happened at the sessions deadline, if it was reached. */
  sessionsDeadlineAction?: "proceed" | "shutdown";
  /** Members dropped from the record because they could not be reached (abandonUnreachableMembers), with the reason. */
  abandonedOn?: Record<string, string>;
  /** Members the last refresh could not read, with the reason; their drainedOn entry is the last known one. */
  unreadableOn?: Record<string, string>;
}

const REPLACE_ON = ["backend", "server", "lifetime", "triggers"] as const;

const OUTPUT_KEYS = ["drainedOn", "failedOn", "drainedAt", "adminState", "sessionsAtDeadline", "sessionsDeadlineAction", "abandonedOn", "unreadableOn"];

export function check(_olds: ProviderProps, news: ProviderProps) {
  return checkInputs(serverDrainSchema, news, OUTPUT_KEYS);
}

export function diff(_id: string, olds: ProviderProps, news: ProviderProps): DiffResult {
  const changed = changedInputs(serverDrainSchema, olds, news);
  // Drift seen by `refresh` (re-enabled by hand, or a member that failed before) is
  // repaired by the next `up`: the update takes the server out where it is missing.
  if (changed.length === 0 && olds.lifetime !== "step" && !isUnknown(news.members) && Array.isArray(olds.drainedOn)) {
    const drained = new Set(olds.drainedOn as string[]);
    const inputs = olds as unknown as ServerDrainInputs;
    if ((news.members as string[]).some((spec) => !drained.has(memberName(inputs, spec)))) changed.push("drainedOn");
  }
  const replaces = changed.filter((k) => (REPLACE_ON as readonly string[]).includes(k));
  // Put the old server back before draining another: never two out at once. It is the
  // old resource's delete that puts it back; an old step's delete does nothing, so it
  // needs no such ordering.
  return { changes: changed.length > 0, replaces, deleteBeforeReplace: replaces.length > 0 && olds.lifetime !== "step" };
}

export async function create(props: ProviderProps): Promise<{ id: string; outs: ProviderProps }> {
  const inputs = parseInputs(serverDrainSchema, props, "ServerDrain");
  const id = `${inputs.backend}/${inputs.server}/${randomUUID()}`;
  const cluster = clusterFrom(inputs);
  let watched = false;
  try {
    const { outs, hold } = await takeOut(cluster, inputs, id, props);
    // A rolling-deploy step stays held across reloads until its gate puts the server back.
    if (inputs.lifetime === "step" && hold) {
      holdStep(cluster, hold, inputs.backend, inputs.server);
      watched = true;
    }
    return { id, outs };
  } finally {
    if (!watched) await cluster.close();
  }
}

export async function update(id: string, olds: ProviderProps, news: ProviderProps): Promise<{ outs: ProviderProps }> {
  const inputs = parseInputs(serverDrainSchema, news, "ServerDrain");
  const old = olds as unknown as ServerDrainOutputs;
  const added = inputs.members.filter((m) => !old.members.includes(m));
  const removed = old.members.filter((m) => !inputs.members.includes(m));
  // drainedOn holds member names, which may differ from the specs (`/x.sock` is `unix:/x.sock`).
  const previouslyDrained = new Set(old.drainedOn ?? []);
  const drainedBefore = (spec: string) => previouslyDrained.has(memberName(inputs, spec));

  // Members no longer listed get their server back first (capacity before removal).
  if (removed.length > 0) {
    await withCluster(inputs, removed, (gone) => applyServerAction(gone, inputs.backend, inputs.server, "ready", { wait: true, timeoutSeconds: inputs.restoreTimeoutSeconds }));
  }
  // Members that are new, that failed before, or whose mode changed get (re)applied.
  const redo = inputs.mode !== old.mode ? inputs.members : inputs.members.filter((m) => added.includes(m) || !drainedBefore(m));
  const outsBase: ServerDrainOutputs = { ...old, ...inputs, drainedOn: inputs.members.filter(drainedBefore).map((m) => memberName(inputs, m)), failedOn: {} };
  if (redo.length === 0) return { outs: outsBase as unknown as ProviderProps };
  const { outs } = await withCluster(inputs, redo, (cluster) => takeOut(cluster, inputs, id, news, outsBase.drainedOn));
  return { outs };
}

export async function remove(_id: string, props: ProviderProps): Promise<void> {
  const state = props as unknown as ServerDrainOutputs;
  // A rolling-deploy step is put back by the gate after it: touching it here would take
  // a server that is already serving through another cycle.
  if (state.lifetime === "step") return;
  const inputs = parseInputs(serverDrainSchema, props, "ServerDrain");
  const cluster = clusterFrom(inputs);
  try {
    await applyServerAction(cluster, inputs.backend, inputs.server, "ready", { wait: true, timeoutSeconds: inputs.restoreTimeoutSeconds });
  } catch (error) {
    if (!(error instanceof HcPartialFailure)) throw error;
    const unreachable = [...error.failures].filter(([, e]) => isUnreachable(e.code)).map(([m]) => m);
    // Only members that cannot be reached may be abandoned; one that refused is still there, drained.
    if (inputs.abandonUnreachableMembers && unreachable.length === error.failures.size) return;
    if (unreachable.length === 0) throw error;
    throw new HcError(
      error.code,
      `${error.message} If ${unreachable.join(", ")} is gone for good, set abandonUnreachableMembers: true on this ServerDrain, run pulumi up, then delete it again; until then the state keeps it (pulumi refresh records where the server is back).`,
      error.details,
    );
  } finally {
    await cluster.close();
  }
}

/**
 * `pulumi refresh`: the admin state on every member. A server re-enabled by hand drops
 * out of `drainedOn`, which shows as drift. A rolling-deploy step (lifetime `step`) is
 * expected to be serving again, so it reports no drift for that.
 */
export async function read(id: string, props: ProviderProps): Promise<{ id: string; props: ProviderProps }> {
  const inputs = parseInputs(serverDrainSchema, props, "ServerDrain");
  const state = props as unknown as ServerDrainOutputs;
  return withCluster(inputs, inputs.members, async (cluster) => {
    const { snap, abandonedOn, unreadableOn } = await refreshRead(cluster, inputs.backend, `ServerDrain ${inputs.backend}/${inputs.server}`, state.abandonedOn, inputs.abandonUnreachableMembers);
    const adminState: Record<string, string> = {};
    for (const [member, s] of snap.snapshots) adminState[member] = s.backend(inputs.backend).server(inputs.server).admin;
    const known = new Set(state.drainedOn ?? []);
    const drainedOn =
      state.lifetime === "step"
        ? state.drainedOn
        : cluster.memberNames.filter((m) => (m in adminState ? adminState[m] === inputs.mode : m in unreadableOn && known.has(m)));
    // The engine's protobuf Struct cannot carry undefined: absent keys stay absent.
    const { unreadableOn: _previous, ...rest } = props;
    const outs: ProviderProps = { ...rest, drainedOn, adminState };
    if (Object.keys(unreadableOn).length > 0) outs.unreadableOn = unreadableOn;
    if (Object.keys(abandonedOn).length > 0) outs.abandonedOn = abandonedOn;
    return { id, props: outs };
  });
}

/** The name a member spec goes by in results and in drainedOn (as the Cluster names it). */
function memberName(inputs: ServerDrainInputs, spec: string): string {
  return resolveMember(spec, { username: inputs.username, password: inputs.password }).target.name;
}

/** Applies the drain on the cluster's members, waits as asked, and shapes outputs; partial results become a partial failure. */
async function takeOut(cluster: Cluster, inputs: ServerDrainInputs, id: string, props: ProviderProps, alreadyDrained: string[] = []): Promise<{ outs: ProviderProps; hold?: ServerHold }> {
  const base: ServerDrainOutputs = { ...inputs, drainedOn: [...alreadyDrained], failedOn: {}, drainedAt: new Date().toISOString(), adminState: {} };
  let hold: ServerHold | undefined;
  let readBack: ClusterSnapshot | undefined;
  try {
    // The capacity guard (unless force) runs inside, on the read the drain needs anyway.
    // A reload while we wait undoes the drain on that member: the hold drains it again (and warns).
    const report = await applyServerAction(cluster, inputs.backend, inputs.server, inputs.mode, {
      wait: true,
      timeoutSeconds: inputs.drainTimeoutSeconds,
      force: inputs.force,
      minOtherServing: inputs.minOtherServing,
      onWarning: (m) => console.warn(m),
    });
    hold = report.hold;
    readBack = report.readBack;
    base.drainedOn = unique([...alreadyDrained, ...report.changed]);
  } catch (error) {
    // Refused before any write (the guard, a misspelt name): nothing to record.
    if (isHcError(error) && !(error instanceof HcPartialFailure) && error.details.report === undefined) throw error;
    if (error instanceof HcPartialFailure) {
      base.drainedOn = unique([...alreadyDrained, ...error.succeeded]);
      for (const [m, e] of error.failures) base.failedOn[m] = e.message;
    }
    throw partialFailure(id, base, props, error);
  }
  for (const m of base.drainedOn) base.adminState[m] = inputs.mode;

  if (inputs.waitForSessions) {
    let result: DrainSessionsResult;
    try {
      result = await waitForSessions(cluster, inputs.backend, inputs.server, { timeoutSeconds: inputs.sessionsTimeoutSeconds, onSessionsTimeout: inputs.onSessionsTimeout, hold, firstRead: readBack });
    } catch (error) {
      // The server is out of rotation everywhere; only the sessions wait failed. Keep the record.
      throw partialFailure(id, base, props, error);
    }
    if (result.deadlineAction) {
      base.sessionsDeadlineAction = result.deadlineAction;
      base.sessionsAtDeadline = result.remaining;
    }
  }
  return { outs: base as unknown as ProviderProps, hold };
}
