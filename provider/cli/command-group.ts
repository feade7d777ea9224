// A command we run (the held restart's COMMAND) in a process group of its own: stopping
// it reaches everything it started (a script's children too), and a Ctrl-C meant for us
// reaches it only through us, once. Being a new session, it has no controlling terminal:
// a command that prompts on the terminal (sudo asking a password) fails instead of
// waiting for an answer nobody can give.

import { spawn } from "node:child_process";
import * as fs from "node:fs";
import { constants } from "node:os";
import { setTimeout as delay } from "node:timers/promises";

/** How long a command we stop gets to end after our signal before its group is killed, seconds (as `docker stop`). */
export const STOP_GRACE_SECONDS = 10;

/** How a command ended: its status, 128 + the signal's number when a signal ended it (as a shell says). */
export interface CommandEnd {
  status: number;
  /** The signal that ended it, if one did. */
  signal?: NodeJS.Signals;
  /** It could not be started (not found, not executable): why. */
  error?: string;
}

/** What stopping left: every process of the group ended on our signal, or some had to be killed. */
export type StopOutcome = "ended" | "killed";

export class CommandGroup {
  /** Resolves when the command itself (the group's leader) ends. */
  readonly ended: Promise<CommandEnd>;
  #running = true;

  private constructor(
    private readonly pid: number | undefined,
    ended: Promise<CommandEnd>,
  ) {
    this.ended = ended.finally(() => (this.#running = false));
  }

  static start(program: string, args: readonly string[]): CommandGroup {
    // detached: setsid(), so the child leads a new process group (its ID is the child's PID).
    const child = spawn(program, args, { stdio: "inherit", detached: true });
    const ended = new Promise<CommandEnd>((resolve) => {
      child.once("error", (error) => resolve({ status: 127, error: error.message }));
      child.once("exit", (code, signal) => resolve(signal ? { status: 128 + (constants.signals[signal] ?? 0), signal } : { status: code ?? 1 }));
    });
    return new CommandGroup(child.pid, ended);
  }

  /** True until the command itself ends (processes it started may outlive it). */
  get running(): boolean {
    return this.#running;
  }

  /**
   * Sends `signal` to every process of the group and waits until none is left; after
   * `graceSeconds`, kills what remains.
   */
  async stop(signal: NodeJS.Signals, graceSeconds = STOP_GRACE_SECONDS): Promise<StopOutcome> {
    this.#signal(signal);
    const deadline = Date.now() + graceSeconds * 1000;
    while (this.#alive() && Date.now() < deadline) await delay(50);
    if (!this.#alive()) return "ended";
    this.kill();
    await this.ended;
    return "killed";
  }

  /** SIGKILL to the whole group, at once and synchronously (for a forced end). */
  kill(): void {
    this.#signal("SIGKILL");
  }

  #signal(signal: NodeJS.Signals | 0): boolean {
    if (this.pid === undefined) return false;
    try {
      process.kill(-this.pid, signal);
      return true;
    } catch {
      // ESRCH: no process of the group is left.
      return false;
    }
  }

  /** Whether any process of the group is left (the command, or what it started). */
  #alive(): boolean {
    if (this.#running) return true;
    if (!this.#signal(0)) return false;
    // A zombie counts for kill(); where init does not reap (some containers), it would never go.
    return process.platform !== "linux" || liveProcessInGroup(this.pid!);
  }
}

/** Linux: whether a process of group `pgid` is left that is not a zombie (from /proc/PID/stat). */
function liveProcessInGroup(pgid: number): boolean {
  let pids: string[];
  try {
    pids = fs.readdirSync("/proc").filter((name) => /^\d+$/.test(name));
  } catch {
    return true;
  }
  for (const pid of pids) {
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    } catch {
      continue; // it just ended
    }
    // "PID (comm) STATE PPID PGRP …": comm may hold spaces and parentheses, so read after the last ")".
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (Number(pgrp) === pgid && state !== "Z" && state !== "X") return true;
  }
  return false;
}
