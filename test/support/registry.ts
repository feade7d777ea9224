// Everything the rig starts is recorded here so it is stopped after the run even when a
// test fails: `stopAll` for the mocha root hook, a synchronous SIGKILL sweep for the
// moments (exit, Ctrl-C, SIGTERM) when nothing asynchronous will run any more.
import fs from "node:fs";

type Stop = () => Promise<void>;

const stoppers = new Map<symbol, { label: string; stop: Stop }>();
const pids = new Map<number, string>();
const dirs = new Set<string>();

/** Registers an asynchronous stop; the returned function unregisters it. */
export function trackStop(label: string, stop: Stop): () => void {
  const key = Symbol(label);
  stoppers.set(key, { label, stop });
  return () => void stoppers.delete(key);
}

export function trackPid(pid: number, label: string): void {
  pids.set(pid, label);
}

export function untrackPid(pid: number): void {
  pids.delete(pid);
}

export function trackDir(dir: string): void {
  dirs.add(dir);
}

export async function removeDir(dir: string): Promise<void> {
  await fs.promises.rm(dir, { recursive: true, force: true });
  dirs.delete(dir);
}

/** What is still running, for assertions and for error messages. */
export function leftovers(): { stops: string[]; pids: number[]; dirs: string[] } {
  return { stops: [...stoppers.values()].map((s) => s.label), pids: [...pids.keys()], dirs: [...dirs] };
}

/** Stops everything registered, then kills and removes whatever is still left. */
export async function stopAll(): Promise<void> {
  const pending = [...stoppers.entries()];
  stoppers.clear();
  const results = await Promise.allSettled(pending.map(([, s]) => s.stop()));
  killAllSync();
  const failed = results.flatMap((r, i) => (r.status === "rejected" ? [`${pending[i][1].label}: ${String(r.reason)}`] : []));
  if (failed.length > 0) throw new Error(`the rig could not stop everything cleanly:\n${failed.join("\n")}`);
}

/** SIGKILLs every tracked process and removes every tracked directory, synchronously. */
export function killAllSync(): void {
  for (const pid of pids.keys()) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // Already gone: exactly what we want.
    }
  }
  pids.clear();
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  dirs.clear();
}

process.on("exit", killAllSync);
for (const [signal, code] of [["SIGINT", 130], ["SIGTERM", 143]] as const) {
  process.once(signal, () => {
    killAllSync();
    process.exit(code);
  });
}
