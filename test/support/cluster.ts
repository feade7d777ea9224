// A cluster as the product sees it: several HAProxy members in front of the same app
// servers. Resolves only once every member reports every server UP.
import { startAppServer, type AppServer } from "./app-server";
import type { CheckSpec } from "./haproxy-config";
import { startHaproxy, type HaproxyInstance } from "./haproxy-process";
import { checkedUp } from "./stat-csv";

export interface ClusterOptions {
  /** Number of HAProxy instances, named lb1..lbN. */
  members: number;
  /** Number of app servers, named server1..serverN in every member. */
  servers: number;
  /** Backend name. Default "myapp". */
  backend?: string;
  check?: CheckSpec;
  /** Version the apps start with. Default "1.0.0". */
  version?: string;
  /** Deadline for every member to see every server UP, in ms. Default 15 000. */
  upTimeoutMs?: number;
}

export interface Cluster {
  apps: AppServer[];
  lbs: HaproxyInstance[];
  backend: string;
  stop(): Promise<void>;
}

async function stopEach(items: Array<{ stop(): Promise<void> }>): Promise<void> {
  const results = await Promise.allSettled(items.map((item) => item.stop()));
  const failures = results.flatMap((r) => (r.status === "rejected" ? [String(r.reason)] : []));
  if (failures.length > 0) throw new Error(`cluster stop failed:\n${failures.join("\n")}`);
}

/** Starts everything in parallel; if any part fails, stops the parts that started. */
async function startAll<T extends { stop(): Promise<void> }>(starts: Array<() => Promise<T>>): Promise<T[]> {
  const results = await Promise.allSettled(starts.map((start) => start()));
  const started = results.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (!failed) return started;
  await stopEach(started).catch(() => undefined);
  throw failed.reason;
}

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1);

export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const backend = options.backend ?? "myapp";
  const apps = await startAll(range(options.servers).map((i) => () => startAppServer({ name: `server${i}`, version: options.version })));
  const cluster: Cluster = { apps, lbs: [], backend, stop: () => stopEach([...cluster.lbs, ...cluster.apps]) };
  try {
    const servers = apps.map((app) => ({ name: app.name, port: app.port }));
    const lbs = await startAll(range(options.members).map((i) => () => startHaproxy({ name: `lb${i}`, backends: [{ name: backend, servers, check: options.check }] })));
    cluster.lbs = lbs;
    // A checked server starts as "UP 1/2" before any check (check_status INI); with fall 1
    // it would read "UP" untested, so a passed check is required as well.
    await Promise.all(lbs.flatMap((lb) => apps.map((app) => lb.waitForRow(backend, app.name, checkedUp, options.upTimeoutMs ?? 15_000))));
    return cluster;
  } catch (error) {
    await cluster.stop().catch(() => undefined);
    throw error;
  }
}
