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

/**
 * A command that holds state and was told to stop (see interrupt.ts) exits 128 + the
 * signal's number, as a shell reports a process the signal ended: 130 for SIGINT, 143
 * for SIGTERM. Its message on stderr says what it left and how to undo it.
 */
export const SIGNAL_EXIT = { SIGINT: 130, SIGTERM: 143 } as const;

export type SignalExitCode = (typeof SIGNAL_EXIT)[keyof typeof SIGNAL_EXIT];

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
