// Where a deploy's wall time went: the apps' own restarts, waiting on HAProxy, the tool's
// own code, and the rest. Each way fills it from what it can measure (see method).

export interface TimeSplit {
  wallMs: number;
  /** The apps' own restart time: stop (graceful) + start until listening, plus the warm-up when the way waits it out. */
  appMs: number;
  /** Whether appMs includes the warm-ups (the careless way does not wait for them). */
  appIncludesWarmup: boolean;
  /** Blocked on HAProxy: drains and their sessions, health checks after the warm-up, gates' repeated confirmations. */
  haproxyMs: number;
  /** haproxy-cluster's own code: process start, parsing, connecting, reading and acting when nothing needs waiting. */
  ownCodeMs: number;
  /** The rest: the deploy script's and its restart command's process starts, the Pulumi engine and program. */
  otherMs: number;
  /** How this way's numbers were obtained. */
  method: string[];
  /** Per step, per server. */
  details: string[];
}

export interface DeployOutcome {
  /** Undefined when the deploy itself succeeded. */
  error?: string;
  split: TimeSplit;
  /** The deploy's last output lines, shown when it failed. */
  outputTail?: string;
  /** Error diagnostics the deploy reported (pulumi up: the providers' error messages). */
  diagnostics?: string[];
}

export const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return 0;
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
