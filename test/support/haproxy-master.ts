// HAProxy in master-worker mode as systemd runs it (`-W -S master.sock`), with the
// rig's generated config: a master CLI socket, the worker's admin socket, and a reload
// (SIGUSR2 to the master) that leaves the old worker alive while it holds a connection.
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { OwnedChild } from "./child";
import { GiveUp, waitFor } from "./deadline";
import { renderConfig, type HaproxyOptions } from "./haproxy-config";
import { freePort } from "./ports";
import { removeDir, trackDir, trackStop } from "./registry";
import { runtimeCommand } from "./runtime";

const READY_TIMEOUT_MS = 15_000;
const STOP_GRACE_MS = 5_000;

export interface MasterWorkerHaproxy {
  readonly name: string;
  readonly masterPid: number;
  readonly dir: string;
  /** The master CLI (`-S`). */
  readonly masterSocket: string;
  /** The current worker's level-admin socket. */
  readonly adminSocket: string;
  readonly frontendUrl: string;
  /** One command on the master CLI, half-closing the write side as the master expects. */
  master(command: string): Promise<string>;
  /** Live worker PIDs from `show proc`, the current one first. */
  workers(): Promise<number[]>;
  /** SIGUSR2 to the master; resolves with the new worker's PID once it answers. */
  reload(): Promise<number>;
  stop(): Promise<void>;
}

export async function startMasterWorker(options: HaproxyOptions): Promise<MasterWorkerHaproxy> {
  const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), `haproxy-mw-${options.name}-`));
  trackDir(dir);
  const places = {
    dir,
    frontendPort: await freePort(),
    statsPort: await freePort(),
    runtimePort: await freePort(),
    statsAuth: { user: "admin", password: `s3cret-${randomBytes(6).toString("hex")}` },
  };
  const configPath = path.join(dir, "haproxy.cfg");
  await fs.promises.writeFile(configPath, renderConfig(options, places));
  const masterSocket = path.join(dir, "master.sock");
  const adminSocket = path.join(dir, "admin.sock");
  const child = new OwnedChild(`haproxy master ${options.name}`, "haproxy", ["-W", "-db", "-S", masterSocket, "-f", configPath]);
  const stop = async (): Promise<void> => {
    untrack();
    // The master stops its workers, old ones included.
    await child.stop("SIGTERM", STOP_GRACE_MS);
    await removeDir(dir);
  };
  const untrack = trackStop(`haproxy master ${options.name}`, stop);
  const master = (command: string) => masterCommand(masterSocket, command);
  const workers = async () => parseWorkers(await master("show proc"));
  const currentAnswers = async (pid: number) => new RegExp(`^Pid: ${pid}$`, "m").test(await runtimeCommand({ path: adminSocket }, "show info"));
  const alive = (): void => {
    if (child.hasExited()) throw new GiveUp(`haproxy master ${options.name} exited: ${child.describe()}`);
  };
  try {
    await waitFor(`haproxy master ${options.name} to have a worker answering on ${adminSocket}`, async (note) => {
      alive();
      const list = await workers();
      note(`workers ${list.join(", ")}`);
      return list.length > 0 && (await currentAnswers(list[0]!)) ? true : undefined;
    }, { timeoutMs: READY_TIMEOUT_MS });
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    name: options.name,
    masterPid: child.pid,
    dir,
    masterSocket,
    adminSocket,
    frontendUrl: `http://127.0.0.1:${places.frontendPort}`,
    master,
    workers,
    async reload() {
      const before = (await workers())[0];
      process.kill(child.pid, "SIGUSR2");
      return waitFor(`haproxy ${options.name} to start a new worker after the reload`, async (note) => {
        alive();
        const list = await workers();
        note(`workers ${list.join(", ")}`);
        return list[0] !== undefined && list[0] !== before && (await currentAnswers(list[0])) ? list[0] : undefined;
      }, { timeoutMs: READY_TIMEOUT_MS });
    },
    stop,
  };
}

/** Worker PIDs from `show proc`, fewest reloads (the current worker) first. */
function parseWorkers(reply: string): number[] {
  const rows = [...reply.matchAll(/^(\d+)\s+worker\s+(\d+)/gm)].map((m) => ({ pid: Number(m[1]), reloads: Number(m[2]) }));
  return rows.sort((a, b) => a.reloads - b.reloads).map((r) => r.pid);
}

function masterCommand(socketPath: string, command: string, timeoutMs = 5_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.createConnection({ path: socketPath });
    let text = "";
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`master CLI ${socketPath}: no complete reply to ${JSON.stringify(command)} within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on("connect", () => socket.end(`${command}\n`));
    socket.on("data", (chunk: Buffer) => (text += chunk.toString()));
    socket.on("error", (error) => {
      clearTimeout(timer);
      reject(new Error(`master CLI ${socketPath}: ${error.message}`));
    });
    socket.on("close", () => {
      clearTimeout(timer);
      resolve(text);
    });
  });
}
