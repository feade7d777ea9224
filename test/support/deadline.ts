// Waiting in the rig means polling observable state until a deadline, then failing with
// a message that says what was awaited and what was last seen: never sleep-and-hope.
import { setTimeout as delay } from "node:timers/promises";

export interface WaitOptions {
  /** How long to keep trying, in milliseconds. Default 10 000. */
  timeoutMs?: number;
  /** Pause between probes, in milliseconds. Default 100. */
  intervalMs?: number;
}

/** Thrown by a probe when waiting longer cannot help (the process died, a name is unknown). */
export class GiveUp extends Error {
  override name = "GiveUp";
}

/** Records what a probe observed, so a timeout can say what the state was instead. */
export type Note = (observation: string) => void;

/**
 * Calls `probe` until it returns something other than `undefined` and returns that.
 * Errors from the probe count as "not yet" (and are reported at the deadline) except
 * `GiveUp`, which ends the wait at once.
 */
export async function waitFor<T>(
  what: string,
  probe: (note: Note) => Promise<T | undefined> | T | undefined,
  options: WaitOptions = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const intervalMs = options.intervalMs ?? 100;
  const deadline = Date.now() + timeoutMs;
  let last = "nothing observed yet";
  const note: Note = (observation) => (last = observation);
  for (;;) {
    try {
      const value = await probe(note);
      if (value !== undefined) return value;
    } catch (error) {
      if (error instanceof GiveUp) throw error;
      last = `probe failed: ${error instanceof Error ? error.message : String(error)}`;
    }
    if (Date.now() >= deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last seen: ${last}`);
    }
    await delay(intervalMs);
  }
}
