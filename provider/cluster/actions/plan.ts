// The plan, the pipeline's first step: what to act on (servers of a backend, or a host
// found wherever it appears) and whether it can be done at all, checked before anything
// is written on any member: the arguments, the names, and what each member's transport
// can change. A host (a server name, or an address as the `addr` column shows it) is
// looked up in what every member reports; operators think in hosts.

import type { ActionName } from "../../action-table";
import { HcError, joinSentences } from "../../errors";
import type { Member, SnapshotOptions } from "../../model/member";
import { splitAddress, type Server } from "../../model/server";
import { checkName, checkNumericOptions, checkWeight, WEIGHT_RULE, type Weight } from "../../input-rules";
import { Cluster, type WaitOptions } from "../cluster";
import type { ClusterSnapshot } from "../cluster-snapshot";
import type { ServerHoldOptions } from "../hold";
import type { CapacityGuardOptions } from "./guard";

/** Every action of the action table (provider/action-table.ts). */
export type ClusterServerAction = ActionName;

export interface ServerActionOptions extends CapacityGuardOptions {
  /** Wait until every member shows the new state (for `ready`: serving on fresh checks). */
  wait?: boolean;
  /** Deadline of that wait, seconds. Default {@link DEFAULTS.actionTimeoutSeconds}. */
  timeoutSeconds?: number;
  /** Seconds between reads while waiting. Default {@link DEFAULTS.actionIntervalSeconds}. */
  intervalSeconds?: number;
  /** New weight, for `weight`. */
  weight?: Weight;
  onProgress?: WaitOptions["onProgress"];
  onTransition?: WaitOptions["onTransition"];
  /** Reload warnings while waiting: "lb2 reloaded: …; myapp/app1 was held drained there: drained again." */
  onWarning?: (message: string) => void;
  /** While waiting, apply the state again on a member that was reloaded (see ServerHold). Default true. */
  holdAcrossReloads?: boolean;
  /** Servers this process added or moved, for the hold to add again or set back after a reload (ServerHoldOptions). */
  runtimeServers?: ServerHoldOptions["runtimeServers"];
  /** Ends the wait early, throwing the signal's reason; what was applied stays applied. */
  signal?: AbortSignal;
  /**
   * A read of the members just taken (with the backends acted on), used instead of reading
   * again. The capacity guard then judges that read: a removal another call of this
   * process made after it is not seen (without it, the read is taken in turn; guard.ts).
   */
  snapshot?: ClusterSnapshot;
}

/** One backend's servers on one member: a line of a plan. */
export interface ActionTarget {
  member: string;
  backend: string;
  servers: string[];
}

/** What the later steps work from: the members involved, what to read, and the read taken. */
export interface ActionPlan {
  action: ClusterServerAction;
  targets: readonly ActionTarget[];
  /** The members with a target (the whole cluster when every member has one). */
  cluster: Cluster;
  backends: string[];
  /** What a read back (and a wait) reads on each member. */
  read: SnapshotOptions;
  /** The read before any write: names checked, capacity guarded, the state `ready` needs. */
  before: ClusterSnapshot;
}

/** The same servers of one backend on every member. */
export function targetsOnEveryMember(cluster: Cluster, backend: string, servers: readonly string[]): ActionTarget[] {
  return cluster.memberNames.map((member) => ({ member, backend, servers: [...servers] }));
}

/**
 * Checks the arguments and every involved member's capabilities, then reads each member
 * once (or takes `options.snapshot`). Nothing has been written when this throws.
 */
export async function planAction(cluster: Cluster, targets: readonly ActionTarget[], action: ClusterServerAction, options: ServerActionOptions): Promise<ActionPlan> {
  checkArguments(targets, action, options);
  const involved = cluster.members.filter((m) => targets.some((t) => t.member === m.name));
  refuseWhatSomeMemberCannot(involved, targets, action);
  const sub = involved.length === cluster.members.length ? cluster : new Cluster(involved);
  const backends = [...new Set(targets.map((t) => t.backend))];
  const read: SnapshotOptions = backends.length === 1 ? { backend: backends[0] } : { types: ["backend", "server"] };
  // The statistics alone answer everything decided before the write (names, serving, maint):
  // the admin bits of `show servers state` and the process identity only matter for the
  // read back, which the hold records.
  const before = options.snapshot ?? (await sub.snapshot({ ...read, exactAdminState: false, processIdentity: false }));
  return { action, targets, cluster: sub, backends, read, before };
}

/**
 * A bad argument is a spec error here, before any member is asked: HAProxy would only
 * refuse it later, and the refusal would read as a member's failure.
 */
function checkArguments(targets: readonly ActionTarget[], action: ClusterServerAction, options: ServerActionOptions): void {
  checkNumericOptions(action, options, ["timeoutSeconds", "intervalSeconds"]);
  if (action === "weight") {
    if (options.weight === undefined) throw new HcError("HC_BAD_SPEC", `set weight needs a weight: ${WEIGHT_RULE}.`);
    checkWeight(options.weight);
  }
  if (targets.length === 0) throw new HcError("HC_BAD_SPEC", `${action} needs at least one server on one member.`);
  for (const t of targets) {
    if (t.servers.length === 0) throw new HcError("HC_BAD_SPEC", `${action} needs at least one server of ${t.backend}.`, { backend: t.backend });
    checkName(t.backend, "backend");
    for (const server of t.servers) checkName(server, "server");
  }
}

/**
 * Capabilities before anything is read or written: a member that cannot make this kind of
 * change (a stats page sets no weights, a saved file takes no change) refuses the whole
 * action, so that no other member changes alone.
 */
function refuseWhatSomeMemberCannot(members: readonly Member[], targets: readonly ActionTarget[], action: ClusterServerAction): void {
  const change = action === "weight" ? "weight" : "state";
  const refusals = members.flatMap((m) => {
    const refusal = m.refusal(change, targets.find((t) => t.member === m.name)!.backend);
    return refusal ? [refusal] : [];
  });
  if (refusals.length === 0) return;
  throw new HcError(refusals[0]!.code, `${joinSentences(refusals.map((e) => e.message))} Nothing changed on any member.`, {
    members: refusals.map((e) => e.details.member),
  });
}

export interface HostPlan {
  host: string;
  /** Member × backend × servers where the host is, in member order. */
  targets: ActionTarget[];
  /** Members where the host appears. */
  foundOn: string[];
  /** Members that answered and do not have it. */
  missingOn: string[];
  /** Members that could not be read, with why. */
  unreadable: Map<string, HcError>;
  /** The read the plan comes from; the action reuses it rather than reading again. */
  snapshot: ClusterSnapshot;
}

/**
 * True when `host` names the server, or is its address: `10.0.0.5` matches any port,
 * `10.0.0.5:8080` (or `[::1]:8080`) that port only. Over the stats page the address is
 * shown only with `stats show-legends`; the Runtime API always shows it.
 */
export function serverMatchesHost(server: Server, host: string): boolean {
  if (server.name === host) return true;
  const addr = server.cell("addr");
  if (!addr) return false;
  return addr === host || splitAddress(addr).host === host.replace(/^\[(.*)\]$/, "$1");
}

/** Reads every member once (backend and server rows) and lists where the host is. */
export async function planHostAction(cluster: Cluster, host: string): Promise<HostPlan> {
  if (host.trim() === "" || /\s/.test(host)) throw new HcError("HC_BAD_SPEC", `${JSON.stringify(host)} cannot be a host: give a server name or an address, without white space.`);
  // The statistics alone: the action reuses this read, and decides nothing on drain bits a DOWN status hides.
  const snapshot = await cluster.snapshot({ types: ["backend", "server"], exactAdminState: false, processIdentity: false });
  const targets: ActionTarget[] = [];
  const foundOn: string[] = [];
  const missingOn: string[] = [];
  for (const member of cluster.memberNames) {
    const snap = snapshot.snapshots.get(member);
    if (!snap) continue;
    let found = false;
    for (const be of snap.backends.values()) {
      const servers = [...be.servers.values()].filter((s) => serverMatchesHost(s, host)).map((s) => s.name);
      if (servers.length === 0) continue;
      targets.push({ member, backend: be.name, servers });
      found = true;
    }
    (found ? foundOn : missingOn).push(member);
  }
  return { host, targets, foundOn, missingOn, unreadable: new Map(snapshot.errors), snapshot };
}

/**
 * Refuses a plan that would act on less than the whole cluster unless `allowPartial`:
 * a host found nowhere is always an error.
 */
export function checkHostPlan(plan: HostPlan, allowPartial = false): void {
  const unreadable = [...plan.unreadable.entries()].map(([m, e]) => `${m} could not be read (${e.message.replace(/\.$/, "")})`);
  if (plan.targets.length === 0) {
    const why = unreadable.length > 0 ? `; ${unreadable.join("; ")}` : "";
    throw new HcError("HC_UNKNOWN_SERVER", `no server named or at ${plan.host} on any member${why}; check the name or address (addresses show over the stats page only with \`stats show-legends\`).`, {
      server: plan.host,
    });
  }
  if (allowPartial || (plan.missingOn.length === 0 && unreadable.length === 0)) return;
  const gaps = [...(plan.missingOn.length > 0 ? [`it is not on ${plan.missingOn.join(", ")}`] : []), ...unreadable];
  throw new HcError(
    "HC_UNKNOWN_SERVER",
    `${plan.host} is on ${plan.foundOn.join(", ")} only: ${gaps.join("; ")}; check the host, or allow a partial action (--allow-partial) to act where it is.`,
    { server: plan.host, foundOn: plan.foundOn, missingOn: plan.missingOn, unreadable: [...plan.unreadable.keys()] },
  );
}
