// Member specs for a rig HAProxy, one per transport, as a user would write them.
import type { HaproxyInstance } from "./haproxy";

export type TransportKind = "http" | "unix" | "tcp";

/** Any rig HAProxy with these ways in (the -sf rig and the master-worker rig alike). */
export type ReachableHaproxy = Pick<HaproxyInstance, "adminSocket" | "tcpSocket" | "statsUrl" | "statsAuth">;

export function memberSpec(lb: ReachableHaproxy, kind: TransportKind): string {
  if (kind === "unix") return `unix:${lb.adminSocket}`;
  if (kind === "tcp") return lb.tcpSocket;
  const auth = lb.statsAuth;
  return auth ? lb.statsUrl.replace("http://", `http://${auth.user}:${encodeURIComponent(auth.password)}@`) : lb.statsUrl;
}
