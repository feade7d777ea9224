// HAProxy in master-worker mode as systemd runs it (`-W -S master.sock`), on whichever
// HAProxy HC_HAPROXY_BIN names, with the rig's generated config: a master CLI socket, the
// worker's sockets and stats page, and a reload the way operators trigger one (the master
// CLI's `reload`, or SIGUSR2 to the master) that leaves the old worker alive while it
// holds a connection.
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { OwnedChild } from "./child";
import { GiveUp, waitFor } from "./deadline";
import { haproxyBinary } from "./haproxy-binary";
import { renderConfig, type HaproxyOptions } from "./haproxy-config";
import { freePort } from "./ports";
import { removeDir, trackDir, trackStop } from "./registry";
import { runtimeCommand } from "./runtime";
import { statWatch, type StatWatch } from "./stat-watch";

const READY_TIMEOUT_MS = 15_000;
const STOP_GRACE_MS = 5_000;

/** `master CLI`: the master socket's `reload` command (`systemctl reload` does the same through SIGUSR2). */
export type MasterReloadWay = "master CLI" | "SIGUSR2";

export interface MasterWorkerHaproxy extends StatWatch {
  readonly name: string;
  readonly masterPid: number;
  /** The current worker's PID; a reload changes it. */
  readonly pid: number;
  readonly dir: string;
  /** The master CLI (`-S`). */
  readonly masterSocket: string;
  /** The current worker's level-admin socket. */
  readonly adminSocket: string;
  /** tcp://127.0.0.1:<port>, the current worker's level-admin Runtime API. */
  readonly tcpSocket: string;
  readonly frontendUrl: string;
  /** http://127.0.0.1:<port>/stats, without credentials. */
  readonly statsUrl: string;
  readonly statsAuth: { user: string; password: string };
  /** One command on the current worker's admin socket. */
  runtime(command: string): Promise<string>;
  /** One command on the master CLI, half-closing the write side as the master expects. */
  master(command: string): Promise<string>;
  /** Live worker PIDs from `show proc`, the current one first. */
  workers(): Promise<number[]>;
  /** True once the master process has exited (HAProxy ends it when its last worker exits). */
  masterExited(): boolean;
  /** Reloads (default through the master CLI); resolves with the new worker's PID once it answers. */
  reload(way?: MasterReloadWay): Promise<number>;
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
  const child = new OwnedChild(`haproxy master ${options.name}`, haproxyBinary, ["-W", "-db", "-S", masterSocket, "-f", configPath]);
  const stop = async (): Promise<void> => {
    untrack();
    // The master stops its workers, old ones included.
    await child.stop("SIGTERM", STOP_GRACE_MS);
    await removeDir(dir);
  };
  const untrack = trackStop(`haproxy master ${options.name}`, stop);
  const master = (command: string) => masterCommand(masterSocket, command);
  const runtime = (command: string) => runtimeCommand({ path: adminSocket }, command);
  const workers = async () => parseWorkers(await master("show proc"));
  const currentAnswers = async (pid: number) => new RegExp(`^Pid: ${pid}$`, "m").test(await runtime("show info"));
  const alive = (): void => {
    if (child.hasExited()) throw new GiveUp(`haproxy master ${options.name} exited: ${child.describe()}`);
  };
  /** The current worker once it answers on the admin socket, other than `before`. */
  const newWorker = (what: string, before?: number) =>
    waitFor(what, async (note) => {
      alive();
      const list = await workers();
      note(`workers ${list.join(", ")}`);
      return list[0] !== undefined && list[0] !== before && (await currentAnswers(list[0])) ? list[0] : undefined;
    }, { timeoutMs: READY_TIMEOUT_MS });
  let current: number;
  try {
    current = await newWorker(`haproxy master ${options.name} to have a worker answering on ${adminSocket}`);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    name: options.name,
    masterPid: child.pid,
    get pid() {
      return current;
    },
    dir,
    masterSocket,
    adminSocket,
    tcpSocket: `tcp://127.0.0.1:${places.runtimePort}`,
    frontendUrl: `http://127.0.0.1:${places.frontendPort}`,
    statsUrl: `http://127.0.0.1:${places.statsPort}/stats`,
    statsAuth: places.statsAuth,
    runtime,
    ...statWatch(options.name, runtime),
    master,
    workers,
    masterExited: () => child.hasExited(),
    async reload(way: MasterReloadWay = "master CLI") {
      const before = (await workers())[0];
      if (way === "SIGUSR2") process.kill(child.pid, "SIGUSR2");
      else {
        // 2.7+ answers once the new worker is up ("Success=1" and its start-up log);
        // 2.6 closes the connection as the master re-executes itself.
        const reply = await master("reload");
        if (/^Success=0/m.test(reply)) throw new Error(`haproxy ${options.name}: the master CLI refused the reload:\n${reply}`);
      }
      current = await newWorker(`haproxy ${options.name} to start a new worker after the reload (${way})`, before);
      return current;
    },
    stop,
  };
}

/** Worker PIDs from `show proc`, fewest reloads (the current worker) first. */
function parseWorkers(reply: string): number[] {
  const rows = [...reply.matchAll(/^(\d+)\s+worker\s+(\d+)/gm)].map((m) => ({ pid: Number(m[1]), reloads: Number(m[2]) }));
  return rows.sort((a, b) => a.reloads - b.reloads).map((r) => r.pid);
}

function masterCommand(socketPath: string, command: string, timeoutMs = 10_000): Promise<string> {
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
