// The master CLI of HAProxy in master-worker mode (`-S`): which workers are alive.
// `show proc` lists the master, then every worker, old ones (still serving the
// connections they held at a reload) included.

import { HcError } from "../errors";

export interface LiveWorker {
  pid: number;
  /** Reloads this worker has lived through: 0 for the current worker, more for old ones. */
  reloads: number;
  /** True for the worker the master started last (`@1`). */
  current: boolean;
}

/** True when the answer is the master's process list (a worker socket answers "Unknown command"). */
export function looksLikeProcessList(reply: string): boolean {
  return /^#\s*<PID>/.test(reply.trimStart()) && /^\d+\s+master\b/m.test(reply);
}

/**
 * Parses `show proc`. 2.6 to 3.4 list current workers under `# workers` and those
 * leaving after a reload (proxies stopped) under `# old workers`: the sections decide.
 * Without them, the worker with the fewest reloads is taken as current.
 */
export function parseProcessList(member: string, reply: string): LiveWorker[] {
  if (!looksLikeProcessList(reply)) {
    throw new HcError("HC_BAD_STATS", `${member}: the master socket answered \`show proc\` in an unknown format; check that this is HAProxy's master CLI (-S).`, { member });
  }
  const workers: Array<LiveWorker & { section?: string }> = [];
  let section: string | undefined;
  for (const line of reply.split("\n")) {
    const header = /^#\s*(workers|old workers)\s*$/.exec(line);
    if (header) section = header[1];
    else if (/^#\s*\w/.test(line) && !line.includes("<PID>")) section = "other";
    const m = /^(\d+)\s+worker\s+(\d+)/.exec(line);
    if (m) workers.push({ pid: Number(m[1]), reloads: Number(m[2]), current: false, section });
  }
  const sectioned = workers.some((w) => w.section !== undefined);
  const fewest = Math.min(...workers.map((w) => w.reloads));
  return workers
    .map(({ section: where, ...w }) => ({ ...w, current: sectioned ? where === "workers" : w.reloads === fewest }))
    .sort((a, b) => a.reloads - b.reloads);
}
