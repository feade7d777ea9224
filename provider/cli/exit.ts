// Exit codes (Nagios/monitoring-plugins: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN) and the
// errors the CLI raises itself. Anything that means "could not tell" exits 3.

import { exitStatusFor } from "../error-codes";

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
 * The exit status for an error that ends a command, from the table of HC_* codes
 * (error-codes.ts): e.g. the capacity guard refusing is CRITICAL (not safe: nothing
 * changed), a wait's deadline CRITICAL unless a member could not be read; anything
 * without a code is UNKNOWN.
 */
export function exitCodeFor(error: unknown): ExitCode {
  return exitStatusFor(error);
}
