// The one rule for a command that holds state (servers out of rotation, a command it
// runs) when it is told to stop. The first SIGINT or SIGTERM aborts `signal`: the command
// stops what it runs, reads the state it leaves, says it and how to undo it, and exits
// 128 + the signal's number (130, 143) as a shell would report it. A second one ends the
// process at once, after a synchronous clean-up and the command's last words: what it
// knows without asking anyone. Without this, a cancelled CI job left servers drained and
// said nothing.

import { SIGNAL_EXIT, type SignalExitCode } from "./exit";
import type { Output } from "./output";

export type StopSignal = keyof typeof SIGNAL_EXIT;

const STOP_SIGNALS = Object.keys(SIGNAL_EXIT) as StopSignal[];

/** The abort's reason: the signal that asked the command to stop. */
export class Interrupted extends Error {
  override name = "Interrupted";

  constructor(readonly signalName: StopSignal) {
    super(`interrupted by ${signalName}`);
  }

  get exitCode(): SignalExitCode {
    return SIGNAL_EXIT[this.signalName];
  }
}

export class Interruption {
  readonly #controller = new AbortController();
  readonly #handlers = new Map<StopSignal, () => void>();
  readonly #cleanUps: Array<() => void> = [];
  #lastWords: (signal: StopSignal) => string = () => "";

  private constructor(private readonly out: Output) {}

  /** Catches SIGINT and SIGTERM from now until `release()`. */
  static catch(out: Output): Interruption {
    const interruption = new Interruption(out);
    for (const signal of STOP_SIGNALS) {
      const handler = (): void => interruption.#receive(signal);
      interruption.#handlers.set(signal, handler);
      process.on(signal, handler);
    }
    return interruption;
  }

  /** Aborted at the first signal; its reason is an `Interrupted`. Hand it to waits. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** The first signal, once one came. */
  get received(): Interrupted | undefined {
    return this.#controller.signal.aborted ? (this.#controller.signal.reason as Interrupted) : undefined;
  }

  /** What to say when a second signal ends the process at once: the state as last known, and the way back. */
  setLastWords(words: (signal: StopSignal) => string): void {
    this.#lastWords = words;
  }

  /** A synchronous clean-up for a forced end (SIGKILL to a process group, say). */
  onForcedEnd(cleanUp: () => void): void {
    this.#cleanUps.push(cleanUp);
  }

  /** Gives SIGINT and SIGTERM back their default: the command holds nothing any more. */
  release(): void {
    for (const [signal, handler] of this.#handlers) process.off(signal, handler);
    this.#handlers.clear();
  }

  #receive(signal: StopSignal): void {
    if (!this.#controller.signal.aborted) {
      this.#controller.abort(new Interrupted(signal));
      return;
    }
    for (const cleanUp of this.#cleanUps) {
      try {
        cleanUp();
      } catch {
        // Ending now matters more than any one clean-up.
      }
    }
    // Writes to stderr are synchronous for files, pipes and terminals on Linux: nothing is lost by exiting.
    const words = this.#lastWords(signal);
    if (words !== "") this.out.error(words);
    process.exit(SIGNAL_EXIT[signal]);
  }
}
