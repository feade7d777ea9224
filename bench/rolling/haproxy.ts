// The two load balancers, configured as a careful operator would, through the test rig
// (real HAProxy from a generated config, stopped by the rig's registry).
//
// What the operator chose, and why (the rig writes the first four for every instance):
//   retries 3                 a connection refused by an app that is stopping is tried again…
//   option redispatch         …on another server, so a refused connect never reaches a client
//   timeout connect 1s        short: on a LAN a connect either succeeds at once or is refused
//   timeout client/server 30s
//   http-reuse safe           keep-alive to the servers, never sharing a client's first request
//   option httpchk GET /check every server is health-checked over HTTP: a warming app's 503 fails it
//   default-server inter 500ms rise 2 fall 2
//                             a dead or warming server is out after ~1 s, back after 2 good checks
//   default-server downinter 250ms
//                             a server that is down is checked twice as often: back soon after its warm-up
//                             (no shorter fastinter: a restart shorter than fall × inter stays "UP" for
//                             HAProxy, the case haproxy-cluster's fresh-check `ready` exists for)
// The frontend of each instance balances round-robin over server1..3 of backend `myapp`.
import fs from "node:fs";
import { randomBytes } from "node:crypto";
import { startHaproxy, type HaproxyInstance } from "../../test/support/haproxy";
import type { StatRow } from "../../test/support/stat-csv";
import type { AppSpec } from "./apps";

export const BACKEND = "myapp";

/** The same choices in one line each, for the printed header. */
export const OPERATOR_CHOICES = [
  "retries 3 + option redispatch: a connect refused by a stopping app is retried on another server",
  "timeout connect 1s: short, on a LAN a connect succeeds at once or is refused",
  "http-reuse safe: keep-alive to the servers, a client's first request never on a shared connection",
  "option httpchk GET /check, inter 500ms rise 2 fall 2: a dead or warming (503) app is out after ~1 s, back after 2 good checks",
  "downinter 250ms: a down server is checked twice as often; no shorter fastinter, so a restart shorter than fall × inter stays UP for HAProxy",
];

export const CHECK = { path: "/check", interMs: 500, rise: 2, fall: 2 } as const;

/** Lines the benchmark adds to the rig's `defaults` section. */
export const EXTRA_DEFAULTS = ["http-reuse safe", "default-server downinter 250ms"];

export interface LoadBalancers {
  lbs: HaproxyInstance[];
  /** Both stats pages take this user and password (the CLI reads them from the environment). */
  statsUser: string;
  statsPassword: string;
}

/**
 * What way (d) adds for reloads under load: the README's "Keeping state across reloads"
 * lines, and `option idle-close-on-response` (the old process answers one more request on
 * an idle keep-alive connection, with `Connection: close`, instead of closing it under a
 * client that is sending on it: without it every reload cost this load a few socket errors).
 */
export const RELOAD_DEFAULTS = ["option idle-close-on-response"];

/** `forReloads`: the reload scenario's configuration (RELOAD_DEFAULTS and the server-state file). */
export async function startLoadBalancers(apps: readonly AppSpec[], options: { forReloads?: boolean } = {}): Promise<LoadBalancers> {
  const statsUser = "admin";
  const statsPassword = randomBytes(12).toString("hex");
  const backends = [{ name: BACKEND, servers: apps.map((a) => ({ name: a.name, port: a.port })), check: { ...CHECK } }];
  const started = await Promise.allSettled(
    ["lb1", "lb2"].map((name) => startHaproxy({ name, backends, statsAuth: { user: statsUser, password: statsPassword }, extraDefaults: options.forReloads ? [...EXTRA_DEFAULTS, ...RELOAD_DEFAULTS] : EXTRA_DEFAULTS, serverStateFile: options.forReloads ?? false })),
  );
  const lbs = started.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
  const failed = started.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed) {
    await Promise.allSettled(lbs.map((lb) => lb.stop()));
    throw failed.reason;
  }
  return { lbs, statsUser, statsPassword };
}

/** UP on a passed check (a checked server reads `UP 1/2` before any check), and in rotation. */
export function servingRow(row: StatRow): boolean {
  return row.status === "UP" && row.check_status.replace(/^\* /, "") === "L7OK";
}

/** Waits until every member shows every server UP, checked, and not drained. */
export async function waitAllServing(lbs: readonly HaproxyInstance[], apps: readonly AppSpec[], timeoutMs: number): Promise<void> {
  await Promise.all(lbs.flatMap((lb) => apps.map((app) => lb.waitForRow(BACKEND, app.name, servingRow, timeoutMs))));
}

/** The `defaults` and `backend` sections of the config HAProxy runs, as the header prints them. */
export function configExcerpt(lb: HaproxyInstance): string {
  const text = fs.readFileSync(lb.configPath, "utf8");
  const sections = text.split(/\n(?=\S)/).filter((s) => /^(defaults|backend|frontend)\b/.test(s));
  return sections.map((s) => s.trimEnd()).join("\n");
}
