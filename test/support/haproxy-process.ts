// Starts one real HAProxy in the foreground (-db) from a generated config, waits until
// its admin socket answers, reloads it gracefully (a new process with -sf, as an init
// script does), and stops every process it started by PID, removing its temp dir.
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { OwnedChild } from "./child";
import { GiveUp, waitFor } from "./deadline";
import { haproxyBinary } from "./haproxy-binary";
import { renderConfig, serverStatePath, type ConfigPlaces, type HaproxyOptions } from "./haproxy-config";
import { freePort } from "./ports";
import { removeDir, trackDir, trackStop } from "./registry";
import { runtimeCommand } from "./runtime";
import { statWatch, type StatWatch } from "./stat-watch";

const READY_TIMEOUT_MS = 10_000;
const STOP_GRACE_MS = 5_000;
const START_ATTEMPTS = 3;

export interface ReloadOptions {
  /** Save `show servers state` to the config's server-state-file first (needs `serverStateFile`). */
  saveState?: boolean;
}

export interface HaproxyInstance extends StatWatch {
  readonly name: string;
  /** The PID of the process now answering; a reload changes it. */
  readonly pid: number;
  /** Temp dir holding the config, pidfile and unix sockets; removed on stop. */
  readonly dir: string;
  readonly configPath: string;
  readonly frontendPort: number;
  /** http://127.0.0.1:<frontendPort> */
  readonly frontendUrl: string;
  readonly statsPort: number;
  /** http://127.0.0.1:<statsPort>/stats, without credentials. */
  readonly statsUrl: string;
  readonly statsAuth: { user: string; password: string } | null;
  /** Absolute path of the level-admin unix socket. */
  readonly adminSocket: string;
  /** Absolute path of the level-user unix socket. */
  readonly userSocket: string;
  /** tcp://127.0.0.1:<port>, a level-admin Runtime API socket. */
  readonly tcpSocket: string;
  /** Sends one command over the admin socket and returns the whole reply. */
  runtime(command: string): Promise<string>;
  /**
   * A graceful reload: a new process from the same config binds the same sockets and
   * tells the old one to finish its connections and leave (`-sf OLDPID`). Resolves once
   * the new process answers on the admin socket, with its PID.
   */
  reload(options?: ReloadOptions): Promise<number>;
  /**
   * A restart with an outage in between, as a crash and a `systemctl restart` give: the
   * process now answering is stopped by its PID, `whileDown` runs, then a fresh process
   * (no -sf: nothing carried over) starts on the same config and sockets. Resolves with
   * its PID once it answers.
   */
  restart(options?: { whileDown?: () => Promise<void> }): Promise<number>;
  /** SIGTERM (hard stop) to every process still running, SIGKILL after 5 s, then removes the dir. */
  stop(): Promise<void>;
}

/** Another process took one of our ports between freePort() and HAProxy's bind: worth another try. */
class PortTaken extends GiveUp {}

/** Runs `haproxy -c` so a bad config fails with HAProxy's own explanation. */
async function validate(configPath: string): Promise<void> {
  try {
    await promisify(execFile)(haproxyBinary, ["-c", "-f", configPath], { timeout: 10_000 });
  } catch (error) {
    const { stdout = "", stderr = "" } = error as { stdout?: string; stderr?: string };
    const config = await fs.promises.readFile(configPath, "utf8");
    throw new Error(`haproxy -c rejected ${configPath}:\n${stdout}${stderr}\n--- config ---\n${config}`);
  }
}

async function writeConfig(options: HaproxyOptions): Promise<ConfigPlaces & { configPath: string }> {
  const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), `haproxy-rig-${options.name}-`));
  trackDir(dir);
  const places: ConfigPlaces = {
    dir,
    frontendPort: await freePort(),
    statsPort: await freePort(),
    runtimePort: await freePort(),
    statsAuth: options.statsAuth === undefined ? { user: "admin", password: `s3cret-${randomBytes(6).toString("hex")}` } : options.statsAuth,
  };
  const configPath = path.join(dir, "haproxy.cfg");
  try {
    await fs.promises.writeFile(configPath, renderConfig(options, places));
    await validate(configPath);
  } catch (error) {
    await removeDir(dir);
    throw error;
  }
  return { ...places, configPath };
}

/** Waits until the admin socket is answered by `child` itself (its PID in `show info`). */
async function waitUntilAnswering(name: string, child: OwnedChild, runtime: (command: string) => Promise<string>, adminSocket: string): Promise<void> {
  await waitFor(`haproxy ${name} (PID ${child.pid}) to answer "show info" on ${adminSocket}`, async (note) => {
    if (child.hasExited()) {
      const Failure = /cannot bind socket.*Address already in use/.test(child.describe()) ? PortTaken : GiveUp;
      throw new Failure(`haproxy ${name} exited during start-up: ${child.describe()}`);
    }
    const info = await runtime("show info");
    note(JSON.stringify(info.slice(0, 120)));
    return new RegExp(`^Pid: ${child.pid}$`, "m").test(info) ? info : undefined;
  }, { timeoutMs: READY_TIMEOUT_MS });
}

async function launch(options: HaproxyOptions): Promise<HaproxyInstance> {
  const places = await writeConfig(options);
  const adminSocket = path.join(places.dir, "admin.sock");
  const runtime = (command: string) => runtimeCommand({ path: adminSocket }, command);
  let current = new OwnedChild(`haproxy ${options.name}`, haproxyBinary, ["-db", "-f", places.configPath]);
  // Every process this instance started: old ones may still finish connections after a reload.
  const children = [current];
  let untrack = (): void => undefined;
  const stop = async (): Promise<void> => {
    untrack();
    await Promise.all(children.map((child) => child.stop("SIGTERM", STOP_GRACE_MS)));
    await removeDir(places.dir);
  };
  untrack = trackStop(`haproxy ${options.name}`, stop);

  try {
    await waitUntilAnswering(options.name, current, runtime, adminSocket);
  } catch (error) {
    await stop();
    throw error;
  }

  const reload = async (reloadOptions: ReloadOptions = {}): Promise<number> => {
    if (reloadOptions.saveState) {
      if (!options.serverStateFile) throw new Error(`haproxy ${options.name}: reload({ saveState }) needs serverStateFile in its options`);
      await fs.promises.writeFile(serverStatePath(places.dir), await runtime("show servers state"));
    }
    const next = new OwnedChild(`haproxy ${options.name} (reload ${children.length})`, haproxyBinary, ["-db", "-f", places.configPath, "-sf", String(current.pid)]);
    children.push(next);
    await waitUntilAnswering(options.name, next, runtime, adminSocket);
    current = next;
    return next.pid;
  };

  const restart = async (restartOptions: { whileDown?: () => Promise<void> } = {}): Promise<number> => {
    await current.stop("SIGTERM", STOP_GRACE_MS);
    await restartOptions.whileDown?.();
    const next = new OwnedChild(`haproxy ${options.name} (restart ${children.length})`, haproxyBinary, ["-db", "-f", places.configPath]);
    children.push(next);
    await waitUntilAnswering(options.name, next, runtime, adminSocket);
    current = next;
    return next.pid;
  };

  return {
    name: options.name,
    get pid() {
      return current.pid;
    },
    dir: places.dir,
    configPath: places.configPath,
    frontendPort: places.frontendPort,
    frontendUrl: `http://127.0.0.1:${places.frontendPort}`,
    statsPort: places.statsPort,
    statsUrl: `http://127.0.0.1:${places.statsPort}/stats`,
    statsAuth: places.statsAuth,
    adminSocket,
    userSocket: path.join(places.dir, "user.sock"),
    tcpSocket: `tcp://127.0.0.1:${places.runtimePort}`,
    runtime,
    ...statWatch(options.name, runtime),
    reload,
    restart,
    stop,
  };
}

export async function startHaproxy(options: HaproxyOptions): Promise<HaproxyInstance> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await launch(options);
    } catch (error) {
      if (!(error instanceof PortTaken) || attempt >= START_ATTEMPTS) throw error;
    }
  }
}
