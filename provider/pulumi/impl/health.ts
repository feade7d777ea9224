// A plain, JSON-ready picture of the cluster's health, for stack outputs and for the
// gate's outputs: per member and backend, serving/total, each server's state, rate and
// backlog. Reading only, so it is safe during preview.

import type { ClusterSnapshot } from "../../cluster/cluster-snapshot";
import { DEFAULTS } from "../../policy";
import { healthSchema, parseInputs, withCluster } from "./inputs";

export interface BackendHealth {
  /** The backend's name. */
  name: string;
  /** Capacity servers serving on this member. */
  serving: number;
  /** Capacity servers (active ones; backup servers when there are only those). */
  total: number;
  /** serving / total, in percent. */
  percent: number;
  /** At least the threshold (default {@link DEFAULTS.thresholdPercent}%) serving, or none (a restart cannot make it worse). */
  rollingRestartable: boolean;
  /** Sessions per second. */
  rate: number;
  /** Requests waiting for a server. */
  backlog: number;
  /** Current sessions. */
  sessions: number;
  /** Each server: HAProxy's status text, admin state (ready, drain, maint) and whether it is serving. */
  servers: Array<{ name: string; status: string; admin: string; serving: boolean }>;
}

export interface ClusterHealth {
  /** When the members were read (ISO 8601). */
  takenAt: string;
  /**
   * True when every member was read and, on each, every backend reported has servers and
   * at least the threshold (default {@link DEFAULTS.thresholdPercent}%) of them serving. Unlike `rollingRestartable`, a
   * backend with every server down is not healthy.
   */
  healthy: boolean;
  /** Per member (credentials removed): whether it could be read, the error if not, and its backends. */
  members: Array<{ member: string; ok: boolean; error?: string; backends: BackendHealth[] }>;
}

export function healthOf(snap: ClusterSnapshot, backends?: readonly string[], thresholdPercent: number = DEFAULTS.thresholdPercent): ClusterHealth {
  const members = snap.members.map((member) => {
    const s = snap.snapshots.get(member);
    if (!s) return { member, ok: false, error: snap.errors.get(member)?.message ?? "not read", backends: [] };
    const names = backends ?? [...s.backends.keys()].filter((n) => s.backends.get(n)!.servers.size > 0);
    return {
      member,
      ok: true,
      backends: names.map((name): BackendHealth => {
        const be = s.backend(name);
        return {
          name,
          ...be.capacity,
          rollingRestartable: be.rollingRestartable(thresholdPercent),
          rate: be.rate,
          backlog: be.backlog,
          sessions: be.sessions,
          servers: [...be.servers.values()].map((sv) => ({ name: sv.name, status: sv.status.raw, admin: sv.admin, serving: sv.serving })),
        };
      }),
    };
  });
  // Stricter than rolling-restart safety: a backend with nothing serving is not healthy.
  const healthy = members.every((m) => m.ok && m.backends.every((b) => b.total > 0 && b.percent >= thresholdPercent));
  return { takenAt: snap.takenAt.toISOString(), healthy, members };
}

/** Reads the cluster named by the inputs and returns its health. */
export async function readHealth(props: Record<string, unknown>): Promise<ClusterHealth> {
  const inputs = parseInputs(healthSchema, props, "getClusterHealth");
  const snap = await withCluster(inputs, inputs.members, (cluster) => cluster.snapshot(inputs.backends?.length === 1 ? { backend: inputs.backends[0] } : {}));
  return healthOf(snap, inputs.backends);
}
