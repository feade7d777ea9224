// Host-wide actions: operators think in hosts, not backend/server pairs. A host (a
// server name, or an address as the `addr` column shows it) is looked up in what every
// member reports, and the action applies to every backend where it appears.

import { HcError } from "../errors";
import { splitAddress, type Server } from "../model/server";
import type { Cluster } from "./cluster";
import type { ClusterSnapshot } from "./cluster-snapshot";
import { applyToTargets, type ActionTarget, type ClusterServerAction, type ServerActionOptions, type ServerActionReport } from "./server-actions";

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

export interface HostActionOptions extends ServerActionOptions {
  /**
   * Go ahead when the host is on some members only (or some could not be read: those are
   * in the plan's `unreadable`, not acted on; the CLI exits 3 naming them). Default false.
   */
  allowPartial?: boolean;
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

/**
 * Applies `action` to the host wherever it appears: plans from one read, checks the plan,
 * then acts on that same read (the capacity guard covers every backend touched).
 */
export async function applyHostAction(cluster: Cluster, host: string | HostPlan, action: ClusterServerAction, options: HostActionOptions = {}): Promise<{ plan: HostPlan; report: ServerActionReport }> {
  const plan = typeof host === "string" ? await planHostAction(cluster, host) : host;
  checkHostPlan(plan, options.allowPartial);
  const report = await applyToTargets(cluster, plan.targets, action, { ...options, snapshot: options.snapshot ?? plan.snapshot }, plan.host);
  return { plan, report };
}
