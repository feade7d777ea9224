// Exit codes (Nagios/monitoring-plugins: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN) and the
// errors the CLI raises itself. Anything that means "could not tell" exits 3.

export const Exit = {
  OK: 0,
  WARNING: 1,
  CRITICAL: 2,
  UNKNOWN: 3,
} as const;

export type ExitCode = (typeof Exit)[keyof typeof Exit];

export const STATE_NAMES: Record<ExitCode, string> = { 0: "OK", 1: "WARNING", 2: "CRITICAL", 3: "UNKNOWN" };

/** A command line that cannot be run as given; its message says what to change. */
export class UsageError extends Error {
  override name = "UsageError";
}

/**
 * The exit status for an error that ends a command, by its HC_* code: the capacity
 * guard refusing is CRITICAL (not safe: nothing changed); anything else is UNKNOWN.
 */
export function exitCodeFor(code: string | undefined): ExitCode {
  return code === "HC_CAPACITY_GUARD" ? Exit.CRITICAL : Exit.UNKNOWN;
}
