// What the benchmark leaves behind is stopped on every way out: the apps run detached
// (they outlive whoever started them: this process, a deploy script's node command, or
// Pulumi's provider), so they are found by their pid files; the deploy tools still running
// (bash, pulumi and its plugins) are this process's descendants, found by parent pid.
import fs from "node:fs";
import path from "node:path";
import { appProcess } from "./apps";

/** Live processes whose parent chain leads to `root` (Linux /proc), deepest last. */
export function descendantPids(root: number): number[] {
  const children = new Map<number, number[]>();
  let entries: string[];
  try {
    entries = fs.readdirSync("/proc").filter((e) => /^\d+$/.test(e));
  } catch {
    return [];
  }
  for (const entry of entries) {
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue; // exited meanwhile
    }
    // Fields after the command name (which may hold spaces and parentheses): state, ppid, …
    const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    const list = children.get(ppid) ?? [];
    list.push(Number(entry));
    children.set(ppid, list);
  }
  const found: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    for (const child of children.get(queue.shift()!) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

/** The pids recorded in `<stateDir>/app-<port>.pid` whose process is still that app. */
export function appPidsIn(stateDir: string): number[] {
  let files: string[];
  try {
    files = fs.readdirSync(stateDir).filter((f) => /^app-\d+\.pid$/.test(f));
  } catch {
    return [];
  }
  const pids: number[] = [];
  for (const file of files) {
    const port = Number(/^app-(\d+)\.pid$/.exec(file)![1]);
    try {
      const pid = Number(fs.readFileSync(path.join(stateDir, file), "utf8").trim());
      if (Number.isInteger(pid) && pid > 0 && appProcess.isOurApp(pid, port)) pids.push(pid);
    } catch {
      // The file went away: nothing to stop.
    }
  }
  return pids;
}

function kill(pid: number): void {
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // Already gone.
  }
}

/**
 * SIGKILLs, synchronously, every descendant of this process and every app recorded in the
 * state dirs, then removes the dirs. For the moments when nothing asynchronous runs any more
 * (exit, Ctrl-C, SIGTERM); the orderly path stops the apps gracefully first.
 */
export function sweepSync(stateDirs: readonly string[], dirs: readonly string[]): void {
  // Deploy tools first, so none of them starts another app after the pid files are read.
  for (const pid of descendantPids(process.pid).reverse()) kill(pid);
  for (const dir of stateDirs) for (const pid of appPidsIn(dir)) kill(pid);
  for (const dir of [...stateDirs, ...dirs]) fs.rmSync(dir, { recursive: true, force: true });
}

/**
 * Runs sweepSync at process exit, before the rig's own exit sweep (which removes the rig's
 * dirs; the state dirs are kept out of the rig's registry so their pid files survive until
 * this runs). Returns a function that removes the hook.
 */
export function sweepOnExit(stateDirs: readonly string[], dirs: readonly string[]): () => void {
  const hook = (): void => sweepSync(stateDirs, dirs);
  process.prependListener("exit", hook);
  return () => void process.removeListener("exit", hook);
}
