// Starts one real HAProxy in the foreground (-db) from a generated config, waits until
// its admin socket answers, and stops it by PID, removing its temp dir.
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { OwnedChild } from "./child";
import { GiveUp, waitFor } from "./deadline";
import { renderConfig, type ConfigPlaces, type HaproxyOptions } from "./haproxy-config";
import { freePort } from "./ports";
import { removeDir, trackDir, trackStop } from "./registry";
import { runtimeCommand } from "./runtime";
import { statWatch, type StatWatch } from "./stat-watch";

const READY_TIMEOUT_MS = 10_000;
const STOP_GRACE_MS = 5_000;
const START_ATTEMPTS = 3;

export interface HaproxyInstance extends StatWatch {
  readonly name: string;
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
  /** SIGTERM (hard stop), SIGKILL after 5 s, then removes the dir. */
  stop(): Promise<void>;
}

/** Another process took one of our ports between freePort() and HAProxy's bind: worth another try. */
class PortTaken extends GiveUp {}

/** Runs `haproxy -c` so a bad config fails with HAProxy's own explanation. */
async function validate(configPath: string): Promise<void> {
  try {
    await promisify(execFile)("haproxy", ["-c", "-f", configPath], { timeout: 10_000 });
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

async function launch(options: HaproxyOptions): Promise<HaproxyInstance> {
  const places = await writeConfig(options);
  const child = new OwnedChild(`haproxy ${options.name}`, "haproxy", ["-db", "-f", places.configPath]);
  const adminSocket = path.join(places.dir, "admin.sock");
  const runtime = (command: string) => runtimeCommand({ path: adminSocket }, command);
  let untrack = (): void => undefined;
  const stop = async (): Promise<void> => {
    untrack();
    await child.stop("SIGTERM", STOP_GRACE_MS);
    await removeDir(places.dir);
  };
  untrack = trackStop(`haproxy ${options.name}`, stop);

  try {
    await waitFor(`haproxy ${options.name} to answer "show info" on ${adminSocket}`, async (note) => {
      if (child.hasExited()) {
        const Failure = /cannot bind socket.*Address already in use/.test(child.describe()) ? PortTaken : GiveUp;
        throw new Failure(`haproxy ${options.name} exited during start-up: ${child.describe()}`);
      }
      const info = await runtime("show info");
      note(JSON.stringify(info.slice(0, 120)));
      return /^Pid: \d+$/m.test(info) ? info : undefined;
    }, { timeoutMs: READY_TIMEOUT_MS });
  } catch (error) {
    await stop();
    throw error;
  }

  return {
    name: options.name,
    pid: child.pid,
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
