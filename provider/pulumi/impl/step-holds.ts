// A RollingDeploy step's drain, held until its gate puts the server back. Between the
// step's create and the gate's, the deploy resource restarts the app and nothing else of
// ours runs; a reload of a member in that window would put the restarting server back in
// rotation there. Every dynamic resource of a `pulumi up` is served by one provider
// process, which lives until the update ends, so the step leaves a watcher here: it reads
// the cluster every HOLD_INTERVAL_SECONDS (cluster/hold.ts) and drains the server again on a member
// that was reloaded. The gate releases it before readying the server; the warnings it
// gave are reported in the gate's outputs. When the update ends without the gate (a
// failed deploy), the process ends and the server stays drained, as the step's record says.

import type { Cluster } from "../../cluster/cluster";
import { HOLD_INTERVAL_SECONDS, type ServerHold } from "../../cluster/hold";

interface ActiveHold {
  hold: ServerHold;
  release(): Promise<void>;
}

/** Held steps by cluster (member names), backend and server. */
const active = new Map<string, ActiveHold>();

function keyOf(memberNames: readonly string[], backend: string, server: string): string {
  return JSON.stringify([[...memberNames].sort(), backend, server]);
}

/**
 * Keeps `server` held on `cluster` until releaseSteps names it. Takes the cluster over
 * (closes it on release). A step drained again for the same server replaces the old watcher.
 */
export function holdStep(cluster: Cluster, hold: ServerHold, backend: string, server: string): void {
  const key = keyOf(cluster.memberNames, backend, server);
  const previous = active.get(key);
  let releaseNow!: () => void;
  const released = new Promise<void>((resolve) => (releaseNow = resolve));
  const watching = hold
    .holdWhile(cluster, released, { intervalSeconds: HOLD_INTERVAL_SECONDS })
    .catch((error: unknown) => {
      // An unreadable member is retried by the next read; anything else ends the watch, said once.
      hold.warnings.push(`stopped holding ${backend}/${server} across reloads: ${error instanceof Error ? error.message : String(error)}`);
    })
    .finally(() => cluster.close());
  active.set(key, {
    hold,
    release: async () => {
      releaseNow();
      await watching;
    },
  });
  void previous?.release();
}

/**
 * Ends the watchers of `servers` (a gate about to put them back) and returns the warnings
 * they gave: one sentence per member where a reload undid the drain and it was applied again.
 */
export async function releaseSteps(memberNames: readonly string[], backend: string, servers: readonly string[]): Promise<string[]> {
  const warnings: string[] = [];
  for (const server of servers) {
    const key = keyOf(memberNames, backend, server);
    const step = active.get(key);
    if (!step) continue;
    active.delete(key);
    await step.release();
    warnings.push(...step.hold.warnings);
  }
  return warnings;
}

/** Servers held now, as `backend/server` (for tests and reports). */
export function heldSteps(): string[] {
  return [...active.keys()].map((k) => {
    const [, backend, server] = JSON.parse(k) as [string[], string, string];
    return `${backend}/${server}`;
  });
}
