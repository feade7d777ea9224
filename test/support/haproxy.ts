// The rig's HAProxy entry point: single instances, clusters, and their config types.
export { startHaproxy, type HaproxyInstance } from "./haproxy-process";
export { startCluster, type Cluster, type ClusterOptions } from "./cluster";
export type { BackendSpec, CheckSpec, HaproxyOptions, ServerSpec } from "./haproxy-config";
export { checkedUp, type StatRow } from "./stat-csv";
export type { StatWatch } from "./stat-watch";
