// Lands a reload while a server is out of rotation for its restart, and watches what the
// reloaded member then does with it. The reload starts the moment the restart begins: the
// deploy script's restart command announces itself in a file, or, for `pulumi up` (whose
// deploy step restarts the app at once, with no hook), the server shows drained on every
// member (its drain step is applied, and waits for the sessions to end). Then the member is reloaded (-sf, with
// or without saving the server state first) and its `show servers state` and the app are
// read together every ~50 ms: was the drain kept, when was it applied again, and how long
// the server was in rotation there while its app was down or warming up.
import fs from "node:fs";
import type { HaproxyInstance } from "../../test/support/haproxy";
import { serverStatePath } from "../../test/support/haproxy-config";
import { appProcess, type AppSpec } from "./apps";
import { BACKEND } from "./haproxy";

const SAMPLE_MS = 50;
/** A deploy that never stops the watched app within this fails the scenario, ms. */
const TRIGGER_TIMEOUT_MS = 120_000;
/** After the reload, watching ends at the latest after this, ms. */
const WATCH_TIMEOUT_MS = 120_000;

/** `show servers state` admin bits that take a server out of rotation: maint (forced, inherited, config, resolution, hostname) and drain (forced, inherited). */
const ADMIN_MAINT = 0x01 | 0x02 | 0x04 | 0x20 | 0x40;
const ADMIN_DRAIN = 0x08 | 0x10;
/** srv_op_state: 1 starting, 2 running (0 stopped, 3 stopping). */
const OP_SERVING = new Set([1, 2]);

type AppState = "old" | "down" | "warming" | "new" | "other";

interface Sample {
  /** ms since the reloaded process answered. */
  atMs: number;
  app: AppState;
  /** On the reloaded member: the server's admin state has drain or maint. */
  held: boolean;
  /** On the reloaded member: serving and not held: it takes new requests. */
  inRotation: boolean;
}

export interface ReloadObservation {
  /** The reload happened: the app had stopped answering as the old version. */
  landed: boolean;
  /** Deploy start until the watched app stopped answering as the old version, ms. */
  triggerAfterMs?: number;
  /** What the app answered when the reload started, and when the new process took over. */
  appAtReload?: AppState;
  appAtReloaded?: AppState;
  /** Spawn of the new HAProxy until it answered, ms. */
  reloadMs?: number;
  /** The first read after the reload showed the server still drained (the state file kept it). */
  keptAcrossReload?: boolean;
  /** Reloaded process answering until the first read showing the server drained again, ms; undefined: never (within the watch). */
  reappliedAfterMs?: number;
  /** Time the server was in rotation on the reloaded member while its app was down or warming up, ms. */
  exposedMs?: number;
  /** Reads of the reloaded member (one per ~50 ms). */
  reads?: number;
  /** Transitions, e.g. `+0.00 s app warming, in rotation`. */
  timeline: string[];
  /** Why the watch itself failed (unreadable member, reload failure). */
  error?: string;
}

/** When to reload: a restart command's announcement, or the server drained on every member. */
export type ReloadTrigger = { signalFile: string } | { drainedOn: readonly HaproxyInstance[] };

export interface ReloadWatchOptions {
  lb: HaproxyInstance;
  trigger: ReloadTrigger;
  app: AppSpec;
  oldVersion: string;
  newVersion: string;
  /** Save the server state before reloading (the README's ExecReload); otherwise any saved file is removed first, so the new process starts from its configuration. */
  saveState: boolean;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function appState(app: AppSpec, oldVersion: string, newVersion: string): Promise<AppState> {
  const answer = await appProcess.probe("127.0.0.1", app.port);
  if (!answer) return "down";
  if (answer.status === 503) return "warming";
  if (answer.status === 200 && answer.version === oldVersion) return "old";
  if (answer.status === 200 && answer.version === newVersion) return "new";
  return "other";
}

async function triggered(trigger: ReloadTrigger, server: string): Promise<boolean> {
  if ("signalFile" in trigger) {
    const text = await fs.promises.readFile(trigger.signalFile, "utf8").catch(() => "");
    return text.split("\n").includes(`restarting ${server}`);
  }
  try {
    const rows = await Promise.all(trigger.drainedOn.map((lb) => lb.stat(BACKEND, server)));
    return rows.every((row) => /^(DRAIN|MAINT)/.test(row.status));
  } catch {
    return false; // a member between processes: ask again
  }
}

/** The server's admin and operational state on one member, from `show servers state BACKEND`. */
async function serverState(lb: HaproxyInstance, server: string): Promise<{ held: boolean; inRotation: boolean }> {
  const lines = (await lb.runtime(`show servers state ${BACKEND}`)).split("\n");
  const header = lines.find((l) => l.startsWith("# "))?.slice(2).split(" ") ?? [];
  const name = header.indexOf("srv_name");
  const op = header.indexOf("srv_op_state");
  const admin = header.indexOf("srv_admin_state");
  if (Math.min(name, op, admin) < 0) throw new Error(`${lb.name}: show servers state has no srv_name/srv_op_state/srv_admin_state header`);
  const row = lines.map((l) => l.split(" ")).find((cells) => !cells[0]?.startsWith("#") && cells[name] === server);
  if (!row) throw new Error(`${lb.name}: ${BACKEND}/${server} not in show servers state`);
  const adminBits = Number(row[admin]);
  const held = (adminBits & (ADMIN_MAINT | ADMIN_DRAIN)) !== 0;
  return { held, inRotation: !held && OP_SERVING.has(Number(row[op])) };
}

export class ReloadWatch {
  readonly #options: ReloadWatchOptions;
  #stopped = false;
  #running: Promise<ReloadObservation> | undefined;

  constructor(options: ReloadWatchOptions) {
    this.#options = options;
  }

  /** Starts watching (call at the deploy's start). */
  start(): void {
    const startedAt = performance.now();
    this.#running = this.#watch(startedAt).catch((error: unknown) => ({ landed: false, timeline: [], error: error instanceof Error ? error.message : String(error) }));
  }

  /** Ends the watch (call when the deploy ended) and returns what it saw. */
  async finish(): Promise<ReloadObservation> {
    this.#stopped = true;
    if (!this.#running) throw new Error("ReloadWatch.finish before start");
    return this.#running;
  }

  async #watch(startedAt: number): Promise<ReloadObservation> {
    const { lb, app, oldVersion, newVersion, saveState, trigger } = this.#options;
    while (!(await triggered(trigger, app.name))) {
      if (this.#stopped || performance.now() - startedAt > TRIGGER_TIMEOUT_MS) return { landed: false, timeline: [], error: `the restart of ${app.name} never began (${"signalFile" in trigger ? "no announcement" : "never drained everywhere"})` };
      await sleep(10);
    }
    const triggerAfterMs = performance.now() - startedAt;
    const atReload = await appState(app, oldVersion, newVersion);
    if (!saveState) await fs.promises.rm(serverStatePath(lb.dir), { force: true });
    const spawnedAt = performance.now();
    await lb.reload({ saveState });
    const reloadedAt = performance.now();
    const samples: Sample[] = [];
    let error: string | undefined;
    while (!this.#stopped && performance.now() - reloadedAt < WATCH_TIMEOUT_MS) {
      try {
        const [state, appNow] = await Promise.all([serverState(lb, app.name), appState(app, oldVersion, newVersion)]);
        samples.push({ atMs: performance.now() - reloadedAt, app: appNow, ...state });
        // Back in rotation on the new version: the restart is over on this member.
        if (appNow === "new" && state.inRotation) break;
      } catch (e) {
        error = e instanceof Error ? e.message : String(e);
      }
      await sleep(SAMPLE_MS);
    }
    return { landed: true, triggerAfterMs, appAtReload: atReload, reloadMs: reloadedAt - spawnedAt, ...summarise(samples, saveState), ...(samples.length === 0 && error ? { error } : {}) };
  }
}

/** With the state saved, a drain at the first read was kept; without, it was applied again (possibly before that read). */
function summarise(samples: readonly Sample[], saveState: boolean): Omit<ReloadObservation, "landed"> {
  const first = samples[0];
  const kept = saveState && (first?.held ?? false);
  const reapplied = kept ? undefined : samples.find((s) => s.held);
  let exposedMs = 0;
  for (let i = 0; i + 1 < samples.length; i++) {
    const s = samples[i]!;
    if (s.inRotation && s.app !== "new" && s.app !== "old") exposedMs += samples[i + 1]!.atMs - s.atMs;
  }
  const timeline: string[] = [];
  let last = "";
  for (const s of samples) {
    const what = `app ${s.app}, ${s.held ? "drained" : s.inRotation ? "IN ROTATION" : "down (health)"}`;
    if (what !== last) timeline.push(`+${(s.atMs / 1000).toFixed(2)} s ${what}`);
    last = what;
  }
  return {
    ...(first ? { appAtReloaded: first.app } : {}),
    keptAcrossReload: kept,
    ...(reapplied ? { reappliedAfterMs: reapplied.atMs } : {}),
    exposedMs,
    reads: samples.length,
    timeline,
  };
}
