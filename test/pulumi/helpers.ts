// Shared by the Pulumi provider tests: a cluster whose members share one stats password,
// the per-test reset that leaves every server serving, and short readers of the rig.
import { startAppServer } from "../support/app-server";
import { waitFor } from "../support/deadline";
import { startCluster, startHaproxy, type Cluster as Rig } from "../support/haproxy";
import { memberSpec } from "../support/member-specs";

export type { Rig };

/** Health checks fast enough that fresh-check waits take well under a second. */
export const FAST_CHECKS = { interMs: 200, rise: 2, fall: 2 } as const;

/** The error thrown by a provider method, or a failure when it resolved. */
export async function rejection(promise: Promise<unknown>): Promise<Error & Record<string, unknown>> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof Error) return error as Error & Record<string, unknown>;
    throw new Error(`expected an Error to be thrown, got ${String(error)}`);
  }
  throw new Error("expected the call to fail, but it succeeded");
}

/** `status` of one server on every member, in member order (e.g. ["DRAIN", "UP"]). */
export async function statuses(rig: Rig, server: string): Promise<string[]> {
  return Promise.all(rig.lbs.map(async (lb) => (await lb.stat(rig.backend, server)).status));
}

/** Every server's `status` on every member: a fingerprint to show that nothing changed. */
export async function everyStatus(rig: Rig): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const lb of rig.lbs) {
    for (const app of rig.apps) out[`${lb.name}/${app.name}`] = (await lb.stat(rig.backend, app.name)).status;
  }
  return out;
}

/**
 * Every app ready and every server back in rotation on every member, then waits until
 * every member shows every server UP: each test starts from, and leaves, a serving cluster.
 */
export async function restoreServing(rig: Rig): Promise<void> {
  for (const app of rig.apps) await app.setReady(true);
  for (const lb of rig.lbs) {
    for (const app of rig.apps) {
      const reply = await lb.runtime(`set server ${rig.backend}/${app.name} state ready`);
      if (reply.trim() !== "") throw new Error(`${lb.name}: set server state ready answered ${JSON.stringify(reply)}`);
    }
  }
  await Promise.all(rig.lbs.flatMap((lb) => rig.apps.map((app) => lb.waitForStatus(rig.backend, app.name, (s) => s === "UP", 15_000))));
}

/** Waits until `server` shows `status` on every member. */
export async function waitForStatusEverywhere(rig: Rig, server: string, status: string, timeoutMs = 15_000): Promise<void> {
  await Promise.all(rig.lbs.map((lb) => lb.waitForStatus(rig.backend, server, (s) => s === status, timeoutMs)));
}

/**
 * Like the rig's startCluster, but every member's stats page uses the same user and
 * password, as one `password` input for the whole cluster requires.
 */
export async function startClusterWithStatsAuth(statsAuth: { user: string; password: string }, members = 2, servers = 3): Promise<Rig> {
  const backend = "myapp";
  const apps = await Promise.all(Array.from({ length: servers }, (_, i) => startAppServer({ name: `server${i + 1}` })));
  const rig: Rig = { apps, lbs: [], backend, stop: async () => void (await Promise.allSettled([...rig.lbs, ...rig.apps].map((x) => x.stop()))) };
  try {
    const specs = apps.map((app) => ({ name: app.name, port: app.port }));
    rig.lbs = await Promise.all(
      Array.from({ length: members }, (_, i) => startHaproxy({ name: `lb${i + 1}`, statsAuth, backends: [{ name: backend, servers: specs, check: FAST_CHECKS }] })),
    );
    await Promise.all(
      rig.lbs.flatMap((lb) =>
        apps.map((app) => lb.waitForRow(backend, app.name, (row) => row.status === "UP" && row.check_status.replace(/^\* /, "") === "L7OK", 15_000)),
      ),
    );
    return rig;
  } catch (error) {
    await rig.stop();
    throw error;
  }
}

/**
 * Sends a request through `lb`'s frontend that the app holds open for `holdMs`, once
 * every server but `server` is drained on that member (so it lands on `server`), and
 * waits until HAProxy counts it as a current session of `server`.
 */
export async function holdSessionOn(rig: Rig, lbIndex: number, server: string, holdMs: number): Promise<{ sentAt: number; done: Promise<{ status: number; servedBy: string | null }> }> {
  const lb = rig.lbs[lbIndex]!;
  for (const app of rig.apps) if (app.name !== server) await lb.runtime(`set server ${rig.backend}/${app.name} state drain`);
  const sentAt = Date.now();
  const done = fetch(`${lb.frontendUrl}/hold?ms=${holdMs}`, { signal: AbortSignal.timeout(holdMs + 30_000) }).then(async (res) => {
    await res.text();
    return { status: res.status, servedBy: res.headers.get("x-served-by") };
  });
  done.catch(() => undefined); // awaited by the test; never an unhandled rejection meanwhile
  await waitFor(`${lb.name}: ${rig.backend}/${server} to hold the request (scur 1)`, async (note) => {
    const row = await lb.stat(rig.backend, server);
    note(`scur ${row.scur}`);
    return row.scur === "1" ? true : undefined;
  });
  return { sentAt, done };
}

/**
 * Registers the suite's before/after: two members in front of three apps with fast checks,
 * reached over the Runtime API (lb1 on a unix socket, lb2 on TCP; their specs are their names).
 */
export function useRuntimeApiPair(onStart: (rig: Rig, lb1: string, lb2: string) => void): void {
  let rig: Rig | undefined;
  before(async function () {
    rig = await startCluster({ members: 2, servers: 3, check: FAST_CHECKS });
    onStart(rig, memberSpec(rig.lbs[0]!, "unix"), memberSpec(rig.lbs[1]!, "tcp"));
  });
  after(async function () {
    await rig?.stop();
  });
}
