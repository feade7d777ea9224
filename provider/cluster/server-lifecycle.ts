// Servers that come and go: added, removed and re-addressed on every member at once, on
// the action pipeline of actions/ (guard, drain, sessions, fresh checks). What
// HAProxy does with such servers, per release, is measured in docs/servers-at-run-time.md.

import { randomBytes } from "node:crypto";
import { HcError, HcPartialFailure, asSentence, joinSentences } from "../errors";
import type { Member } from "../model/member";
import { DEFAULTS, LIMITS, MIN_DYNAMIC_SERVER_VERSION } from "../policy";
import { Cluster, type WaitOptions } from "./cluster";
import { checkName, checkNumericOptions, isWeight } from "../input-rules";
import { applyServerAction, waitForSessions, type CapacityGuardOptions, type DrainSessionsResult, type ServerActionOptions, type ServerActionReport, type SessionsTimeoutPolicy } from "./actions";
import { addOnMember, addSettings, asRead, firstLine, setAddressOnMember, type RuntimeServer } from "./runtime-servers";

/** A server's address as `add server` and `set server … addr … port` take it. */
export interface ServerAddress {
  /** IPv4 address, IPv6 address (without brackets) or host name. */
  host: string;
  port: number;
}

/** Parses `HOST:PORT` (`[::1]:8080` for IPv6); HC_BAD_SPEC for anything else. */
export function parseServerAddress(text: unknown): ServerAddress {
  const match = typeof text === "string" ? /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/.exec(text) : null;
  const port = match ? Number(match[3]) : 0;
  if (!match || port < 1 || port > 65535) {
    throw new HcError("HC_BAD_SPEC", `An address is HOST:PORT (an IPv4 address or host name, or [IPv6]:PORT) with a port from 1 to 65535, not ${JSON.stringify(text)}.`);
  }
  return { host: match[1] ?? match[2]!, port };
}

function formatAddress(a: ServerAddress): string {
  return a.host.includes(":") ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

/** What the waits of these operations take: the closing `ready`'s own options, passed on as they are. */
type WaitingOptions = Pick<ServerActionOptions, "wait" | "timeoutSeconds" | "intervalSeconds" | "onProgress" | "onTransition" | "onWarning" | "signal">;

export interface AddServerOptions extends WaitingOptions {
  /**
   * Health-check interval, milliseconds. Default {@link DEFAULTS.addedServerCheckIntervalMs}
   * (HAProxy's default): the Runtime API shows no server's interval, so none can be copied.
   */
  checkIntervalMs?: number;
  /** Weight (0 to {@link LIMITS.maxWeight}). Default: the configured weight (`uweight`) of the backend's first server with one above 0, else HAProxy's 1. */
  weight?: number;
  /** Called once the server is added on every member, before it is put in rotation: its address and the `add server` settings. */
  onAdded?: (address: string, settings: string) => void;
}

export interface AddServerReport {
  backend: string;
  server: string;
  address: string;
  /** The `add server` arguments after the address, as sent to every member (`check inter 2000 rise 2 fall 3 weight 1`). */
  settings: string;
  /** The `ready` that put it in rotation on fresh checks. */
  ready: ServerActionReport;
}

/**
 * Adds `server` at `address` to `backend` on every member, out of rotation, then puts it
 * in rotation on fresh health checks (as `ready` does) and, with `wait`, waits until it
 * serves everywhere.
 *
 * Health checks follow the backend's servers: `add server` ignores `default-server`, so
 * `check` with `rise` and `fall` is passed as the backend's first checked server shows them
 * (stats `check_rise`, `check_fall`), `inter` from `checkIntervalMs`; a backend none of
 * whose servers is checked gets HAProxy's defaults (rise 2, fall 3), since the server enters
 * rotation only on fresh checks. The weight is the configured weight of the backend's
 * first server with one above 0 (a weight-0 placeholder is no model), else HAProxy's 1. Refused before any change when a
 * member is older than 2.5 or cannot take Runtime API commands, has no such backend, or
 * has the name taken. A backend that cannot take dynamic servers is known only from
 * HAProxy's answer: the server is then deleted again where it was added (it was in
 * maintenance, never serving), and HAProxy's reason passed on.
 */
export async function addServer(cluster: Cluster, backend: string, server: string, address: string, options: AddServerOptions = {}): Promise<AddServerReport> {
  checkName(backend, "backend");
  checkName(server, "server");
  // Every option checked here: the wait's options reach ready only after the server was added.
  checkNumericOptions("add-server", options, ["timeoutSeconds", "intervalSeconds"]);
  const where = parseServerAddress(address);
  const interMs = options.checkIntervalMs ?? DEFAULTS.addedServerCheckIntervalMs;
  if (!Number.isInteger(interMs) || interMs < 1) throw new HcError("HC_BAD_SPEC", `checkIntervalMs must be a whole number of milliseconds above 0, not ${String(interMs)}.`);
  // `add server … weight N` takes an absolute weight only: a percentage needs a configured one.
  if (options.weight !== undefined && (typeof options.weight !== "number" || !isWeight(options.weight))) {
    throw new HcError("HC_BAD_SPEC", `the weight of an added server must be a whole number from 0 to ${LIMITS.maxWeight}, not ${JSON.stringify(options.weight)}.`);
  }

  // Plan: every member read before any writes.
  const planned = await cluster.mapSettled(async (member) => {
    await checkVersion(member);
    const be = (await member.snapshot({ backend, exactAdminState: false, processIdentity: false })).backend(backend);
    if (be.servers.has(server)) {
      throw new HcError("HC_SERVER_EXISTS", `${member.name}: ${backend} already has a server ${server}; choose another name or remove it first.`, { member: member.name, backend, server });
    }
    return be;
  });
  const refusals = [...planned.values()].flatMap((r) => (r.ok ? [] : [r.error]));
  if (refusals.length > 0) {
    throw new HcError(refusals[0]!.code, `${asSentence(joinSentences(refusals.map((e) => e.message)))} Nothing changed on any member.`, { members: refusals.map((e) => e.details.member) });
  }
  const servers = [...planned.values()].flatMap((r) => (r.ok ? [...r.value.servers.values()] : []));
  // A weight-0 server (a placeholder that never serves) is no model for one that will.
  const weight = options.weight ?? servers.find((s) => s.userWeight !== undefined && s.userWeight > 0)?.userWeight;
  // Always checked: it enters rotation only on fresh checks, so with no checked server to copy, HAProxy's defaults.
  const checked = servers.find((s) => s.rise !== undefined && s.fall !== undefined) ?? { rise: DEFAULTS.addedServerRise, fall: DEFAULTS.addedServerFall };
  const settings = addSettings(checked, interMs, weight);
  const runtime: RuntimeServer = { backend, server, address: formatAddress(where), settings };

  // HAProxy adds a server in maintenance (all releases measured): nothing reaches it yet.
  const added = await cluster.mapSettled((member) => addOnMember(member, runtime));
  const failures = new Map([...added].flatMap(([m, r]) => (r.ok ? [] : [[m, r.error] as const])));
  if (failures.size > 0) {
    const addedOn = [...added].flatMap(([m, r]) => (r.ok ? [m] : []));
    // Deleted again wherever it may be: where it was added, and where the answer was lost
    // (deleteServer takes "No such server" and reads back). Never where the name turned
    // out taken: that server is someone else's.
    const undo = cluster.memberNames.filter((m) => failures.get(m)?.code !== "HC_SERVER_EXISTS");
    const undone = await cluster.mapSettled(async (member) => (undo.includes(member.name) ? deleteServer(member, backend, server, 0) : undefined));
    const left = [...undone].flatMap(([m, r]) => (r.ok ? [] : [[m, r.error] as const]));
    const why = joinSentences([...failures.values()].map((e) => e.message));
    if (left.length === 0) {
      const first = [...failures.values()][0]!;
      const back = addedOn.length > 0 ? ` It was deleted again on ${addedOn.join(", ")}, where it had been added in maintenance:` : "";
      throw new HcError(first.code, `${why}.${back} nothing changed on any member.`, { members: [...failures.keys()] });
    }
    const where = left.map(([m]) => m);
    throw new HcPartialFailure(
      `add-server ${backend}/${server} failed on ${failures.size} of ${cluster.members.length} members: ${why}. Deleting it again failed on ${where.join(", ")} (${joinSentences(left.map(([, e]) => e.message))}), where it may remain, in maintenance: check with haproxy-cluster status --backend ${backend} ${where.join(" ")}, and remove it with haproxy-cluster remove-server --backend ${backend} --server ${server} ${where.join(" ")}.`,
      failures,
      addedOn.filter((m) => where.includes(m)),
    );
  }
  options.onAdded?.(formatAddress(where), settings);
  // The hold adds it again, with these settings, on a member that a reload makes forget it.
  const ready = await applyServerAction(cluster, backend, server, "ready", { ...pick(options), runtimeServers: [runtime] });
  return { backend, server, address: runtime.address, settings, ready };
}

export interface RemoveServerOptions extends CapacityGuardOptions {
  /** Deadline for the drained server's sessions and queue to reach 0, seconds. Default {@link DEFAULTS.sessionsTimeoutSeconds}. */
  sessionsTimeoutSeconds?: number;
  /** What happens at that deadline (as for drain): `fail` (default; the server stays drained), `proceed`, `shutdown`. */
  onSessionsTimeout?: SessionsTimeoutPolicy;
  /**
   * Remove it even where it is in the configuration file (not added at run time): it
   * comes back at that member's next reload. Default false: such a server is refused.
   */
  configuredToo?: boolean;
  /** Deadline of `wait … srv-removable` (HAProxy 3.0 and later) and of the removal, seconds. Default {@link DEFAULTS.actionTimeoutSeconds}. */
  timeoutSeconds?: number;
  onProgress?: WaitOptions["onProgress"];
  onWarning?: (message: string) => void;
  signal?: AbortSignal;
}

export interface RemoveServerReport {
  backend: string;
  server: string;
  drain: ServerActionReport;
  sessions: DrainSessionsResult;
  /** Members where the server was deleted and read back absent. */
  removed: string[];
}

/**
 * Removes `server` from `backend` on every member: the capacity guard, drain, the sessions
 * wait with its deadline policy, maintenance, `del server` (after `wait … srv-removable`
 * where HAProxy has it, 3.0 and later), and a read back that it is gone. HAProxy shows no
 * difference between a server added at run time and one from the configuration file, and
 * deletes either: the latter comes back at the next reload.
 */
export async function removeServer(cluster: Cluster, backend: string, server: string, options: RemoveServerOptions = {}): Promise<RemoveServerReport> {
  checkName(backend, "backend");
  checkName(server, "server");
  checkNumericOptions("remove-server", options, ["timeoutSeconds"]);
  checkNumericOptions("remove-server", { timeoutSeconds: options.sessionsTimeoutSeconds }, ["timeoutSeconds"]);
  if (!options.configuredToo) await refuseConfigured(cluster, backend, server);
  const drain = await applyServerAction(cluster, backend, server, "drain", { force: options.force, minOtherServing: options.minOtherServing, onWarning: options.onWarning, signal: options.signal });
  const sessions = await stillDrained(backend, server, () =>
    waitForSessions(cluster, backend, server, {
      timeoutSeconds: options.sessionsTimeoutSeconds,
      onSessionsTimeout: options.onSessionsTimeout,
      onProgress: options.onProgress,
      hold: drain.hold,
      firstRead: drain.readBack,
      signal: options.signal,
    }),
  );
  // The guard ran before the drain; a drained server no longer counts as serving, so a
  // second guard could only refuse for servers this removal does not touch.
  await applyServerAction(cluster, backend, server, "maint", { force: true, onWarning: options.onWarning, signal: options.signal });
  const timeoutMs = Math.round((options.timeoutSeconds ?? DEFAULTS.actionTimeoutSeconds) * 1000);
  const settled = await cluster.mapSettled((member) => deleteServer(member, backend, server, timeoutMs));
  const failures = new Map([...settled].flatMap(([m, r]) => (r.ok ? [] : [[m, r.error] as const])));
  const removed = [...settled].flatMap(([m, r]) => (r.ok ? [m] : []));
  if (failures.size > 0) {
    const why = joinSentences([...failures.values()].map((e) => e.message));
    const done = removed.length > 0 ? `It was removed on ${removed.join(", ")} only` : "It was removed nowhere";
    throw new HcPartialFailure(`remove-server ${backend}/${server} failed on ${failures.size} of ${cluster.members.length} members: ${why}. ${done}; it stays in maintenance on ${[...failures.keys()].join(", ")}.`, failures, removed);
  }
  return { backend, server, drain, sessions, removed };
}

export interface SetAddressOptions extends CapacityGuardOptions, WaitingOptions {
  /** Deadline for the drained server's sessions, seconds (as for drain); absent: no sessions wait. */
  sessionsTimeoutSeconds?: number;
  onSessionsTimeout?: SessionsTimeoutPolicy;
}

export interface SetAddressReport {
  backend: string;
  server: string;
  address: string;
  drain: ServerActionReport;
  sessions?: DrainSessionsResult;
  ready: ServerActionReport;
}

/**
 * Moves `server` to `address` on every member (the way to fill a `server-template` slot):
 * drain behind the capacity guard, optionally wait for its sessions, `set server … addr …
 * port …`, read back, then back in rotation on fresh checks made at the new address.
 */
export async function setServerAddress(cluster: Cluster, backend: string, server: string, address: string, options: SetAddressOptions = {}): Promise<SetAddressReport> {
  checkName(backend, "backend");
  checkName(server, "server");
  checkNumericOptions("set-address", options, ["timeoutSeconds", "intervalSeconds"]);
  checkNumericOptions("set-address", { timeoutSeconds: options.sessionsTimeoutSeconds }, ["timeoutSeconds"]);
  const where = parseServerAddress(address);
  const drain = await applyServerAction(cluster, backend, server, "drain", { force: options.force, minOtherServing: options.minOtherServing, onWarning: options.onWarning, signal: options.signal });
  const sessions =
    options.sessionsTimeoutSeconds === undefined
      ? undefined
      : await stillDrained(backend, server, () =>
          waitForSessions(cluster, backend, server, { timeoutSeconds: options.sessionsTimeoutSeconds, onSessionsTimeout: options.onSessionsTimeout, hold: drain.hold, firstRead: drain.readBack, signal: options.signal }),
        );
  const settled = await cluster.mapSettled(async (member) => {
    await setAddressOnMember(member, backend, server, where.host, where.port);
    const shown = (await member.snapshot({ backend, exactAdminState: false, processIdentity: false })).backend(backend).server(server);
    const addr = shown.cell("addr");
    if (addr && addr !== formatAddress(where)) {
      throw new HcError("HC_ACTION_REFUSED", `${member.name}: HAProxy accepted the new address of ${backend}/${server} but shows ${addr}.`, { member: member.name, backend, server });
    }
  });
  const failures = new Map([...settled].flatMap(([m, r]) => (r.ok ? [] : [[m, r.error] as const])));
  if (failures.size > 0) {
    const moved = [...settled].flatMap(([m, r]) => (r.ok ? [m] : []));
    const why = joinSentences([...failures.values()].map((e) => e.message));
    throw new HcPartialFailure(
      `set-address ${backend}/${server} failed on ${failures.size} of ${cluster.members.length} members: ${why}. ${moved.length > 0 ? `It moved on ${moved.join(", ")} only;` : "It moved nowhere;"} the server stays drained on every member.`,
      failures,
      moved,
    );
  }
  // The hold sets the address again on a member whose reload put the slot back at its
  // configured one, or adds the server again (as the drain's read showed it) where a
  // reload forgot it.
  const shown = drain.readBack?.snapshots.values().next().value?.backend(backend).servers.get(server);
  const moved = shown && asRead(backend, shown);
  const runtimeServers = moved ? [{ ...moved, address: formatAddress(where) }] : undefined;
  const ready = await applyServerAction(cluster, backend, server, "ready", { ...pick(options), runtimeServers });
  return { backend, server, address: formatAddress(where), drain, sessions, ready };
}

/** Refuses, before any change, a server that some member has from its configuration file. */
async function refuseConfigured(cluster: Cluster, backend: string, server: string): Promise<void> {
  const settled = await cluster.mapSettled((member) => addedAtRunTime(member, backend, server));
  const errors = [...settled.values()].flatMap((r) => (r.ok ? [] : [r.error]));
  if (errors.length > 0) throw new HcError(errors[0]!.code, `${asSentence(joinSentences(errors.map((e) => e.message)))} Nothing changed on any member.`, { members: errors.map((e) => e.details.member) });
  const configured = [...settled].flatMap(([m, r]) => (r.ok && !r.value ? [m] : []));
  if (configured.length === 0) return;
  throw new HcError(
    "HC_ACTION_REFUSED",
    `${backend}/${server} is in the configuration file of ${configured.join(", ")}, not added at run time: deleting it there lasts only until the next reload. Remove it from the configuration, or set configuredToo (--configured-too) to delete it anyway. Nothing changed on any member.`,
    { members: configured, backend, server },
  );
}

/**
 * Whether `server` was added at run time on this member. HAProxy shows no marker (see
 * docs/servers-at-run-time.md), but refuses to let a new server track a dynamic one
 * ("unable to use B/S for tracking as it is a dynamic server", 2.6 to 3.4), and checks
 * that before anything else: a probe server tracking it answers the question. The probe
 * starts in maintenance, never serves, and is deleted at once when HAProxy takes it.
 */
async function addedAtRunTime(member: Member, backend: string, server: string): Promise<boolean> {
  const target = `${backend}/${server}`;
  const probe = `hc-probe-${randomBytes(4).toString("hex")}`;
  const reply = await member.runtimeCommand(`add server ${backend}/${probe} 127.0.0.1:1 track ${target}`);
  if (/is a dynamic server/i.test(reply)) return true;
  if (/^No such backend/im.test(reply)) {
    throw new HcError("HC_UNKNOWN_BACKEND", `${member.name}: no backend ${backend}; check the name.`, { member: member.name, backend });
  }
  if (/unable to find required server/i.test(reply)) {
    throw new HcError("HC_UNKNOWN_SERVER", `${member.name}: ${backend} has no server ${server} (a reload forgets servers added at run time); leave ${member.name} out to remove it from the other members.`, { member: member.name, backend, server });
  }
  if (/New server registered/i.test(reply)) {
    try {
      await deleteServer(member, backend, probe, 0);
    } catch (error) {
      throw new HcError("HC_ACTION_REFUSED", `${member.name}: the probe server ${backend}/${probe} (in maintenance, tracking ${server}) could not be deleted: ${(error as Error).message} Delete it with \`del server ${backend}/${probe}\`.`, { member: member.name, backend, server });
    }
  }
  // Taken as a tracker, or refused for another reason (no checks, a static algorithm):
  // HAProxy only gives those answers for a server from the configuration.
  return false;
}

/** A failed sessions wait, told with what it leaves: the server drained, and the ways on. */
async function stillDrained<T>(backend: string, server: string, wait: () => Promise<T>): Promise<T> {
  try {
    return await wait();
  } catch (error) {
    if (!(error instanceof HcError) || error.code !== "HC_WAIT_DEADLINE") throw error;
    const message = `${error.message.replace(/\.$/, "")}. ${backend}/${server} stays drained on every member read, and nothing else changed: put it back with ready, or go on at the deadline with onSessionsTimeout "shutdown" or "proceed" (--shutdown-sessions, --proceed).`;
    throw new HcError(error.code, message, error.details, { cause: error });
  }
}

/** The options of the closing `ready`. */
function pick(o: WaitingOptions): WaitingOptions {
  return { wait: o.wait, timeoutSeconds: o.timeoutSeconds, intervalSeconds: o.intervalSeconds, onProgress: o.onProgress, onTransition: o.onTransition, onWarning: o.onWarning, signal: o.signal };
}

/** HAProxy's version from `show info`; HC_HAPROXY_TOO_OLD below MIN_DYNAMIC_SERVER_VERSION. */
async function checkVersion(member: Member): Promise<[number, number]> {
  const info = await member.runtimeCommand("show info");
  const match = /^Version:\s*(\d+)\.(\d+)/m.exec(info);
  if (!match) throw new HcError("HC_BAD_STATS", `${member.name}: \`show info\` gives no Version; this HAProxy version may be unsupported.`, { member: member.name });
  const version: [number, number] = [Number(match[1]), Number(match[2])];
  const [major, minor] = MIN_DYNAMIC_SERVER_VERSION;
  if (version[0] < major || (version[0] === major && version[1] < minor)) {
    throw new HcError("HC_HAPROXY_TOO_OLD", `${member.name}: HAProxy ${version.join(".")} cannot add servers with health checks at run time (${major}.${minor} or later can); upgrade it or leave it out.`, { member: member.name });
  }
  return version;
}

/**
 * `del server` on one member, then a read back that it is gone. The server must be in
 * maintenance. With `waitMs` on HAProxy 3.0 and later, `wait … srv-removable` first, so
 * that connections still attached do not make the delete fail; 2.6 lacks that command.
 */
async function deleteServer(member: Member, backend: string, server: string, waitMs: number): Promise<void> {
  const target = `${backend}/${server}`;
  if (waitMs > 0) {
    const reply = await member.runtimeCommand(`wait ${waitMs} srv-removable ${target}`);
    if (!/^Done\./m.test(reply) && !/Unknown command/i.test(reply)) {
      throw new HcError("HC_ACTION_REFUSED", `${member.name}: ${target} did not become removable within ${waitMs / 1000} s: ${firstLine(reply)}`, { member: member.name, backend, server });
    }
  }
  const reply = await member.runtimeCommand(`del server ${target}`);
  if (!/Server deleted/i.test(reply) && !/No such server/i.test(reply)) {
    throw new HcError("HC_ACTION_REFUSED", `${member.name}: HAProxy refused to delete ${target}: ${firstLine(reply)}`, { member: member.name, backend, server });
  }
  const be = (await member.snapshot({ backend, exactAdminState: false, processIdentity: false })).backend(backend);
  if (be.servers.has(server)) throw new HcError("HC_ACTION_REFUSED", `${member.name}: HAProxy answered that ${target} was deleted but still lists it.`, { member: member.name, backend, server });
}
