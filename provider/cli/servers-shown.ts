// How servers are shown on the command line, the same wherever they appear: a server's
// state as one cell (status, the held restart's last words), and the backends a read
// shows servers in (status and check, when no --backend narrows them).

import type { ClusterSnapshot } from "../cluster/cluster-snapshot";
import type { Server } from "../model/server";

/** HAProxy's status, plus the admin state when the status hides it (a drained server that is DOWN). */
export function cellText(server: Server): string {
  const raw = server.status.raw;
  const shown = raw.split(" ")[0]!.toLowerCase();
  if (server.admin !== "ready" && shown !== server.admin) return `${raw} (${server.admin})`;
  // HAProxy still says UP for a server set to weight 0, which takes no new traffic.
  if (server.admin === "ready" && server.weight === 0) return `${raw} (weight 0)`;
  return raw;
}

/** Backends that have servers on some member, in the order the first member lists them. */
export function backendsWithServers(snap: ClusterSnapshot): string[] {
  const names: string[] = [];
  for (const member of snap.members) {
    for (const [name, be] of snap.snapshots.get(member)?.backends ?? []) if (be.servers.size > 0 && !names.includes(name)) names.push(name);
  }
  return names;
}
