// Shared by the end-to-end tests: two real HAProxy members whose stats pages share one
// password, the example's app servers started by pid file (as AppServerDeployment finds
// them), fingerprints of what HAProxy holds, a 50 ms watcher of every member and app, and
// traffic through the frontends.
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { Member } from "../../provider/model/member";
import { waitFor } from "../support/deadline";
import { startHaproxy, type HaproxyInstance } from "../support/haproxy";
import { freePort } from "../support/ports";
import { installProject, pulumiBinDir, REPO_ROOT } from "../support/pulumi-stack";
import { trackStop } from "../support/registry";
import { parseStatCsv } from "../support/stat-csv";

export { REPO_ROOT };
export const EXAMPLES_DIR = path.join(REPO_ROOT, "examples");
export const ROLLING_DEPLOY_DIR = path.join(EXAMPLES_DIR, "rolling-deploy");
export const BACKEND = "myapp";
export const STATS_USER = "admin";

/** Checks fast enough that a server is judged within a second (2 × 200 ms to rise or fall). */
const CHECKS = { interMs: 200, rise: 2, fall: 2 } as const;

/** Gate settings for the examples: 2 checks 0.5 s apart instead of 3 × 2 s, a 60 s deadline. */
export const FAST_GATE = { intervalSeconds: 0.5, minChecks: 2, timeoutSeconds: 60 } as const;

export interface AppSpec {
  name: string;
  port: number;
}

/** A fresh password no other test uses, so that finding it anywhere means a leak from this test. */
export function newPassword(): string {
  return `e2e-stats-${randomBytes(9).toString("hex")}`;
}

export async function appSpecs(count = 3): Promise<AppSpec[]> {
  const specs: AppSpec[] = [];
  for (let i = 1; i <= count; i++) specs.push({ name: `server${i}`, port: await freePort() });
  return specs;
}

/** Each resource's name (the URN's last part) with the operations the engine reported for it. */
export function operationsByResource(events: EngineEvent[]): Record<string, string[]> {
  const ops: Record<string, string[]> = {};
  for (const event of events) {
    const meta = event.resourcePreEvent?.metadata;
    if (!meta || meta.type === "pulumi:pulumi:Stack" || meta.type.startsWith("pulumi:providers:")) continue;
    const name = meta.urn.split("::").pop()!;
    (ops[name] ??= []).push(meta.op);
  }
  return ops;
}

// ---------------------------------------------------------------- preparing a run

/**
 * Deadline of a describe's setup: on a fresh machine scripts/pulumi-cli.sh builds the CLI
 * (5-25 minutes on 2 cores) and the examples' npm packages are installed.
 */
export const SETUP_TIMEOUT_MS = 45 * 60_000;

/**
 * The Pulumi CLI, and each example project's own npm packages (`npm ci` from its lock
 * file, which links haproxy-cluster to this checkout) unless a previous run installed them.
 */
export async function prepareProjects(...projectDirs: string[]): Promise<void> {
  await pulumiBinDir();
  for (const dir of projectDirs) await installProject(dir);
}

// ---------------------------------------------------------------- HAProxy pair

export interface Pair {
  lbs: HaproxyInstance[];
  /** Stack config `members`: each member's stats page URL, without the password. */
  members: string[];
  password: string;
  stop(): Promise<void>;
}

/** Two HAProxy members (lb1, lb2) with backend myapp over `apps`, stats pages needing `password`. */
export async function startPair(apps: AppSpec[], password: string): Promise<Pair> {
  const statsAuth = { user: STATS_USER, password };
  const backends = [{ name: BACKEND, servers: apps, check: CHECKS }];
  const started = await Promise.allSettled(["lb1", "lb2"].map((name) => startHaproxy({ name, statsAuth, backends })));
  const lbs = started.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
  const stop = async (): Promise<void> => void (await Promise.allSettled(lbs.map((lb) => lb.stop())));
  const failed = started.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed) {
    await stop();
    throw failed.reason;
  }
  return { lbs, members: lbs.map((lb) => lb.statsUrl), password, stop };
}

/** Waits until every member shows every app UP after a passed check (L7OK), not HAProxy's initial guess. */
export async function waitAllUp(pair: Pair, apps: AppSpec[], timeoutMs = 20_000): Promise<void> {
  const checkedUp = (row: Record<string, string>): boolean => row.status === "UP" && row.check_status.replace(/^\* /, "") === "L7OK";
  await Promise.all(pair.lbs.flatMap((lb) => apps.map((app) => lb.waitForRow(BACKEND, app.name, checkedUp, timeoutMs))));
}

/** `status` of one server on every member, in member order. */
export async function statuses(pair: Pair, server: string): Promise<string[]> {
  return Promise.all(pair.lbs.map(async (lb) => (await lb.stat(BACKEND, server)).status));
}

/** Sends a Runtime API command to one member and fails on any answer but the empty success. */
export async function runtimeAction(lb: HaproxyInstance, command: string): Promise<void> {
  const reply = await lb.runtime(command);
  if (reply.trim() !== "") throw new Error(`${lb.name}: ${command} answered ${JSON.stringify(reply)}`);
}

/**
 * What HAProxy holds for every server on every member: `show stat` status and weight and
 * `show servers state` admin bits. Equal fingerprints mean nothing was changed.
 */
export async function fingerprint(pair: Pair): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const lb of pair.lbs) {
    for (const row of parseStatCsv(await lb.runtime("show stat"))) {
      if (row.pxname === BACKEND && row.svname !== "BACKEND") out[`${lb.name} ${row.svname} stat`] = `${row.status} weight ${row.weight}`;
    }
    const state = (await lb.runtime(`show servers state ${BACKEND}`)).split("\n").filter((l) => l.trim() !== "");
    const header = state.find((l) => l.startsWith("# "))?.slice(2).split(" ") ?? [];
    const name = header.indexOf("srv_name");
    const admin = header.indexOf("srv_admin_state");
    const weight = header.indexOf("srv_uweight");
    if (name < 0 || admin < 0) throw new Error(`${lb.name}: unexpected show servers state: ${state.join("\n")}`);
    for (const line of state.filter((l) => !l.startsWith("#") && l.includes(" "))) {
      const cells = line.split(" ");
      out[`${lb.name} ${cells[name]} admin`] = `bits ${cells[admin]} uweight ${cells[weight]}`;
    }
  }
  return out;
}

// ---------------------------------------------------------------- the example's apps

/** examples/rolling-deploy/app-process.js, the same functions AppServerDeployment serializes. */
interface AppProcessModule {
  APP_SCRIPT: string;
  checkAppInputs(news: Record<string, unknown>): { inputs: Record<string, unknown>; failures: Array<{ property: string; reason: string }> };
  startApp(inputs: Record<string, unknown>): Promise<{ pid: number; logFile: string }>;
  stopApp(inputs: Record<string, unknown>): Promise<{ pid: number | null; outcome: string }>;
  isOurApp(pid: number, port: number): boolean;
  probe(host: string, port: number): Promise<{ status: number; servedBy: string; version: string; pid: string } | null>;
}

export const appProcess = require(path.join(ROLLING_DEPLOY_DIR, "app-process.js")) as AppProcessModule;

export interface AppFleet {
  stateDir: string;
  apps: AppSpec[];
  /** The pid in each app's pid file (null without one), by server name. */
  pids(): Record<string, number | null>;
  /** Stops whatever runs by the pid files (the apps the stack started included) and removes the state dir. */
  stop(): Promise<void>;
}

/** Reads a pid file; null when there is none. */
function readPid(stateDir: string, port: number): number | null {
  try {
    const pid = Number(fs.readFileSync(path.join(stateDir, `app-${port}.pid`), "utf8").trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

const fleets = new Set<AppFleet>();
// The apps are detached (they outlive pulumi by design): whatever ends this process kills them.
process.on("exit", () => {
  for (const fleet of fleets) {
    for (const app of fleet.apps) {
      const pid = readPid(fleet.stateDir, app.port);
      if (pid !== null && appProcess.isOurApp(pid, app.port)) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // gone already
        }
      }
    }
    fs.rmSync(fleet.stateDir, { recursive: true, force: true });
  }
});

/**
 * Starts the example's app.js for each spec at `version`, with pid files in a new state
 * dir (give the stack the same `stateDir`: its AppServerDeployments take them over).
 */
export async function startApps(apps: AppSpec[], version: string, label: string): Promise<AppFleet> {
  const stateDir = await fs.promises.mkdtemp(path.join(os.tmpdir(), `e2e-apps-${label}-`));
  const inputsOf = (app: AppSpec) => {
    const { inputs, failures } = appProcess.checkAppInputs({ ...app, version, stateDir, script: appProcess.APP_SCRIPT, stopTimeoutSeconds: 10 });
    if (failures.length > 0) throw new Error(`app inputs: ${JSON.stringify(failures)}`);
    return inputs;
  };
  let untrack = (): void => undefined;
  const fleet: AppFleet = {
    stateDir,
    apps,
    pids: () => Object.fromEntries(apps.map((app) => [app.name, readPid(stateDir, app.port)])),
    stop: async () => {
      untrack();
      await Promise.allSettled(apps.map((app) => appProcess.stopApp(inputsOf(app))));
      fleets.delete(fleet);
      await fs.promises.rm(stateDir, { recursive: true, force: true });
    },
  };
  fleets.add(fleet);
  untrack = trackStop(`apps in ${stateDir}`, fleet.stop);
  try {
    await Promise.all(apps.map((app) => appProcess.startApp(inputsOf(app))));
  } catch (error) {
    await fleet.stop();
    throw error;
  }
  return fleet;
}

// ---------------------------------------------------------------- HTTP

export interface Answer {
  status: number;
  body: string;
  servedBy: string;
}

/** One GET without keep-alive; rejects on connection errors and after 5 s. */
export function get(port: number, pathname = "/"): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: "127.0.0.1", port, path: pathname, agent: false, timeout: 5_000 }, (res) => {
      let body = "";
      res.on("data", (chunk: Buffer) => (body += chunk.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body, servedBy: String(res.headers["x-served-by"] ?? "") }));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error("no answer within 5 s")));
    req.on("error", reject);
  });
}

/**
 * Asserts what users and HAProxy's servers see: many GETs through every frontend are all
 * `<server> <version>` from every server, and each app answers `version` directly.
 * Returns problems (empty when all is well).
 */
export async function servedVersions(pair: Pair, apps: AppSpec[], version: string): Promise<string[]> {
  const problems: string[] = [];
  for (const lb of pair.lbs) {
    const seen = new Set<string>();
    for (let i = 0; i < apps.length * 8; i++) {
      const answer = await get(lb.frontendPort).catch((error: Error) => ({ status: 0, body: error.message, servedBy: "" }));
      if (answer.status !== 200 || answer.body !== `${answer.servedBy} ${version}\n`) problems.push(`${lb.name} frontend answered ${answer.status} ${JSON.stringify(answer.body)}`);
      seen.add(answer.servedBy);
    }
    for (const app of apps) if (!seen.has(app.name)) problems.push(`${lb.name} frontend never reached ${app.name} in ${apps.length * 8} requests`);
  }
  for (const app of apps) {
    const answer = await get(app.port).catch((error: Error) => ({ status: 0, body: error.message, servedBy: "" }));
    if (answer.status !== 200 || answer.body !== `${app.name} ${version}\n`) problems.push(`${app.name} directly answered ${answer.status} ${JSON.stringify(answer.body)}`);
  }
  return problems;
}

export interface TrafficResult {
  at: number;
  via: string;
  status: number;
  body: string;
}

/** Requests through the frontends, one after another, until stopped: what users see. */
export function startTraffic(pair: Pair): { stop(): Promise<TrafficResult[]> } {
  const seen: TrafficResult[] = [];
  let running = true;
  const loop = (async () => {
    for (let i = 0; running; i++) {
      const lb = pair.lbs[i % pair.lbs.length]!;
      const at = Date.now();
      const answer = await get(lb.frontendPort).catch((error: Error) => ({ status: 0, body: error.message, servedBy: "" }));
      seen.push({ at, via: lb.name, status: answer.status, body: answer.body });
      await delay(10);
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return seen;
    },
  };
}

// ---------------------------------------------------------------- the watcher

export interface ServerView {
  serving: boolean;
  admin: string;
  status: string;
}

/** One sample: every member's view of the backend (read first), then every app asked directly. */
export interface Tick {
  at: number;
  /** member (lb1, lb2) → server → view; absent for a member that could not be read (see errors). */
  members: Record<string, Record<string, ServerView>>;
  errors: string[];
  /** server → who answered on its port (pid and version), or null when nothing did. */
  apps: Record<string, { pid: number; version: string; status: number } | null>;
}

/** An app seen going away: its idle keep-alive connection closed (app.js closes those on SIGTERM). */
export interface AppGone {
  server: string;
  pid: number;
  at: number;
  /** Every member read right after that moment: was the server already out of rotation? */
  members: Record<string, Record<string, ServerView>>;
  errors: string[];
}

export interface WatchResult {
  ticks: Tick[];
  gone: AppGone[];
}

export interface Watcher {
  stop(): Promise<WatchResult>;
}

/**
 * Keeps an idle keep-alive connection to the app on `port` (one request a second keeps
 * Node's 5 s keep-alive timeout away). app.js closes idle connections the moment it gets
 * SIGTERM, so the close marks the stop to the millisecond; `onGone` gets the pid that was
 * connected. Reconnects to whatever runs next.
 */
function sentinel(port: number, onGone: (pid: number) => void): () => void {
  let stopped = false;
  let socket: net.Socket | undefined;
  const connect = (): void => {
    if (stopped) return;
    const s = net.connect(port, "127.0.0.1");
    socket = s;
    let pid: number | undefined;
    let text = "";
    const ping = (): void => void s.write("GET /__sentinel HTTP/1.1\r\nHost: app\r\n\r\n");
    let timer: NodeJS.Timeout | undefined;
    s.on("connect", () => {
      ping();
      timer = setInterval(ping, 1_000);
    });
    s.on("data", (chunk: Buffer) => {
      text = (text + chunk.toString()).slice(-4_096);
      const found = /x-app-pid: (\d+)/i.exec(text);
      if (found) pid = Number(found[1]);
    });
    s.on("error", () => undefined);
    s.on("close", () => {
      clearInterval(timer);
      if (stopped) return;
      if (pid !== undefined) onGone(pid);
      setTimeout(connect, 20);
    });
  };
  connect();
  return () => {
    stopped = true;
    socket?.destroy();
  };
}

/**
 * Samples every member (through the library's Member over each admin socket, so the admin
 * state is exact) and then every app, every `intervalMs`; and reads every member again
 * the moment an app is seen going away (see `sentinel`), which a 50 ms sample could miss:
 * the engine takes a drained server's app down within milliseconds of the drain.
 */
export function startWatcher(pair: Pair, apps: AppSpec[], intervalMs = 50): Watcher {
  const members = pair.lbs.map((lb) => ({ name: lb.name, member: new Member(`unix:${lb.adminSocket}`, { requestTimeoutSeconds: 2 }) }));
  const ticks: Tick[] = [];
  const gone: AppGone[] = [];
  const reactions: Array<Promise<void>> = [];
  let running = true;
  const readMembers = async (into: { members: Record<string, Record<string, ServerView>>; errors: string[] }): Promise<void> => {
    await Promise.all(
      members.map(async ({ name, member }) => {
        try {
          const be = (await member.snapshot({ backend: BACKEND })).backend(BACKEND);
          into.members[name] = Object.fromEntries([...be.servers.values()].map((s) => [s.name, { serving: s.serving, admin: s.admin, status: s.status.raw }]));
        } catch (error) {
          into.errors.push(`${name}: ${(error as Error).message}`);
        }
      }),
    );
  };
  const sample = async (): Promise<Tick> => {
    const tick: Tick = { at: Date.now(), members: {}, errors: [], apps: {} };
    await readMembers(tick);
    await Promise.all(
      apps.map(async (app) => {
        const answer = await appProcess.probe("127.0.0.1", app.port);
        tick.apps[app.name] = answer ? { pid: Number(answer.pid), version: answer.version, status: answer.status } : null;
      }),
    );
    return tick;
  };
  const stopSentinels = apps.map((app) =>
    sentinel(app.port, (pid) => {
      const event: AppGone = { server: app.name, pid, at: Date.now(), members: {}, errors: [] };
      reactions.push(
        (async () => {
          await readMembers(event);
          // A stopping app.js has closed its listener too; if the same process still answers, the
          // connection ended for another reason (a keep-alive timeout on a loaded machine): no stop.
          const answer = await appProcess.probe("127.0.0.1", app.port);
          if (answer?.pid !== String(pid)) gone.push(event);
        })(),
      );
    }),
  );
  const loop = (async () => {
    while (running) {
      const started = Date.now();
      ticks.push(await sample());
      await delay(Math.max(0, intervalMs - (Date.now() - started)));
    }
  })();
  const halt = async (): Promise<void> => {
    running = false;
    for (const stop of stopSentinels) stop();
    await loop;
    await Promise.all(reactions);
  };
  const untrack = trackStop("e2e watcher", halt);
  return {
    stop: async () => {
      untrack();
      await halt();
      await Promise.all(members.map(({ member }) => member.close()));
      return { ticks, gone };
    },
  };
}

/** Servers not serving on `member` in `tick` (DRAIN, MAINT, DOWN, transitioning…). */
export function outOfRotation(tick: Tick, member: string): string[] {
  return Object.entries(tick.members[member] ?? {})
    .filter(([, view]) => !view.serving)
    .map(([name]) => name);
}

function describeTick(tick: Tick, t0: number): string {
  const views = Object.entries(tick.members).map(([m, servers]) => `${m} ${Object.entries(servers).map(([s, v]) => `${s}=${v.status}/${v.admin}`).join(" ")}`);
  const apps = Object.entries(tick.apps).map(([s, a]) => `${s}:${a ? `${a.version}#${a.pid}` : "none"}`);
  return `+${tick.at - t0} ms [${views.join("; ")}] apps ${apps.join(" ")}`;
}

export interface RolloutExpectation {
  /** In deploy order. */
  apps: AppSpec[];
  /** The pid each app had before the deploy (from its pid file). */
  fromPids: Record<string, number | null>;
  toVersion: string;
  batchSize: number;
  memberNames: string[];
}

/**
 * Checks a rolling deploy against the watcher's ticks; returns every problem found (empty
 * when the deploy was safe):
 * - no member ever had more than batchSize servers out of rotation;
 * - each server's old app stopped (SIGTERM, seen by the sentinel) exactly once, and every
 *   member read at that moment already had the server drained; the server stayed out of
 *   rotation on every member from its app going away until the new version answered;
 * - each server was seen serving again on every member (with every other server) before
 *   the next server left rotation, and left rotation exactly once per member;
 * - at the end every server serves on every member.
 */
export function rolloutProblems(watched: WatchResult, expected: RolloutExpectation): string[] {
  const { ticks } = watched;
  const problems: string[] = [];
  if (ticks.length < 20) return [`only ${ticks.length} samples were taken`];
  const t0 = ticks[0]!.at;
  const show = (i: number) => describeTick(ticks[i]!, t0);
  const unread = ticks.findIndex((t) => t.errors.length > 0);
  if (unread >= 0) problems.push(`a member could not be read: ${ticks[unread]!.errors.join("; ")}`);

  for (const [i, tick] of ticks.entries()) {
    for (const member of expected.memberNames) {
      const out = outOfRotation(tick, member);
      if (out.length > expected.batchSize) {
        problems.push(`${member} had ${out.length} servers out of rotation (${out.join(", ")}) at ${show(i)}`);
        break;
      }
    }
    if (problems.length > 5) return problems;
  }

  const everywhere = (i: number, test: (view: ServerView) => boolean, server: string) =>
    expected.memberNames.every((m) => {
      const view = ticks[i]!.members[m]?.[server];
      return view !== undefined && test(view);
    });
  const allServing = (i: number) => expected.apps.every((a) => everywhere(i, (v) => v.serving, a.name));

  const newAnswerAt: number[] = [];
  for (const app of expected.apps) {
    const oldPid = expected.fromPids[app.name];
    const isOld = (i: number) => ticks[i]!.apps[app.name]?.pid === oldPid;
    const gone = ticks.findIndex((_, i) => !isOld(i));
    const fresh = ticks.findIndex((t) => t.apps[app.name] !== null && t.apps[app.name]!.pid !== oldPid && t.apps[app.name]!.version === expected.toVersion);
    newAnswerAt.push(fresh);
    if (gone < 0) {
      problems.push(`${app.name}: its app (pid ${oldPid}) was never seen to stop`);
      continue;
    }
    if (fresh < 0) {
      problems.push(`${app.name}: ${expected.toVersion} never answered on port ${app.port}`);
      continue;
    }
    // Drain first: at the moment the old app got SIGTERM, every member already had the server drained.
    const stops = watched.gone.filter((g) => g.server === app.name && g.pid === oldPid);
    if (stops.length !== 1) problems.push(`${app.name}: its app (pid ${oldPid}) was seen stopping ${stops.length} times, not once`);
    for (const stop of stops) {
      const views = expected.memberNames.map((m) => stop.members[m]?.[app.name]);
      if (stop.errors.length > 0 || !views.every((v) => v?.admin === "drain" && !v.serving)) {
        problems.push(`${app.name}: when its app got SIGTERM (+${stop.at - t0} ms) the members showed ${JSON.stringify(views)} ${stop.errors.join("; ")}`);
      }
    }
    for (let i = gone; i < fresh; i++) {
      if (!everywhere(i, (v) => !v.serving, app.name)) {
        problems.push(`${app.name}: in rotation while its app was away or restarting, at ${show(i)}`);
        break;
      }
    }
    for (const member of expected.memberNames) {
      let exits = 0;
      for (let i = 1; i < ticks.length; i++) {
        const before = ticks[i - 1]!.members[member]?.[app.name];
        const now = ticks[i]!.members[member]?.[app.name];
        if (before?.serving && now && !now.serving) exits++;
      }
      if (exits !== 1) problems.push(`${app.name} left rotation ${exits} times on ${member}, not once`);
    }
  }
  // Back before the next one leaves: between the new app answering and the next server leaving rotation, a tick with all serving.
  for (let k = 0; k + 1 < expected.apps.length; k += expected.batchSize) {
    const nextBatch = expected.apps.slice(k + expected.batchSize, k + 2 * expected.batchSize);
    if (nextBatch.length === 0) break;
    const lastOfBatch = Math.max(...newAnswerAt.slice(k, k + expected.batchSize));
    if (lastOfBatch < 0) continue;
    const nextLeaves = ticks.findIndex((_, i) => i >= lastOfBatch && nextBatch.some((a) => !everywhere(i, (v) => v.serving, a.name)));
    const backBetween = ticks.findIndex((_, i) => i >= lastOfBatch && (nextLeaves < 0 || i < nextLeaves) && allServing(i));
    if (backBetween < 0) {
      problems.push(`${nextBatch.map((a) => a.name).join(", ")} left rotation before ${expected.apps.slice(k, k + expected.batchSize).map((a) => a.name).join(", ")} served again everywhere: ${nextLeaves >= 0 ? show(nextLeaves) : "?"}`);
    }
  }
  if (!allServing(ticks.length - 1)) problems.push(`not every server serves at the end: ${show(ticks.length - 1)}`);
  return problems;
}

/** Waits until `test` holds for `server` on every member (rig's show stat), e.g. after a hand change. */
export async function waitEverywhere(pair: Pair, server: string, what: string, test: (status: string) => boolean, timeoutMs = 20_000): Promise<void> {
  await waitFor(`${server} ${what} on every member`, async (note) => {
    const now = await statuses(pair, server);
    note(now.join(", "));
    return now.every(test) ? true : undefined;
  }, { timeoutMs });
}

/** Every place a secret could show up in text: plain, URL-encoded, and in a Basic auth header. */
export function secretForms(password: string): string[] {
  return [password, encodeURIComponent(password), Buffer.from(`${STATS_USER}:${password}`).toString("base64")];
}

/** Every file under `dir`, read as text, for a search for secrets. */
export async function filesUnder(dir: string): Promise<Array<{ file: string; text: string }>> {
  const out: Array<{ file: string; text: string }> = [];
  const walk = async (d: string): Promise<void> => {
    for (const entry of await fs.promises.readdir(d, { withFileTypes: true }).catch(() => [])) {
      const p = path.join(d, entry.name);
      if (entry.isDirectory()) await walk(p);
      else if (entry.isFile()) out.push({ file: p, text: await fs.promises.readFile(p, "utf8").catch(() => "") });
    }
  };
  await walk(dir);
  return out;
}
