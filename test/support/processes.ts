// What the kernel says about processes (Linux /proc): children of a process and members
// of a process group, zombies left out (a zombie runs nothing; where init does not reap,
// as in some containers, it stays listed).
import fs from "node:fs";

export interface ProcessInfo {
  pid: number;
  /** The executable's name, as in /proc/PID/comm (at most 15 characters). */
  comm: string;
  state: string;
  ppid: number;
  pgid: number;
}

function read(pid: number): ProcessInfo | undefined {
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
  const [state, ppid, pgid] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return { pid, comm, state: state!, ppid: Number(ppid), pgid: Number(pgid) };
}

/** Every process that is not a zombie. */
export function liveProcesses(): ProcessInfo[] {
  return fs
    .readdirSync("/proc")
    .filter((name) => /^\d+$/.test(name))
    .map((name) => read(Number(name)))
    .filter((p): p is ProcessInfo => p !== undefined && p.state !== "Z" && p.state !== "X");
}

export function childrenOf(pid: number): ProcessInfo[] {
  return liveProcesses().filter((p) => p.ppid === pid);
}

export function processGroup(pgid: number): ProcessInfo[] {
  return liveProcesses().filter((p) => p.pgid === pgid);
}

/** Whether the process runs (exists and is not a zombie). */
export function isRunning(pid: number): boolean {
  const p = read(pid);
  return p !== undefined && p.state !== "Z" && p.state !== "X";
}
