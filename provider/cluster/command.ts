// Runs a user's restart command for one server: an argv without a shell, the server's
// identity in environment variables only (never spliced into a command line), its output
// handed over line by line, and a deadline that ends the command's whole process group.

import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { DEFAULTS } from "../policy";


/**
 * Variables of the caller's environment a command never sees: this package's own
 * secrets. The command does not need the stats password or the SSH passphrase, and a
 * command that prints its environment would put them in Pulumi's log.
 */
const WITHHELD_ENVIRONMENT = ["HAPROXY_CLUSTER_PASSWORD", "HAPROXY_CLUSTER_SSH_PASSPHRASE"] as const;

export interface CommandOptions {
  /** Added to the caller's environment (minus WITHHELD_ENVIRONMENT). */
  env: Record<string, string>;
  /** Deadline, seconds: then SIGTERM to the process group, SIGKILL DEFAULTS.commandKillGraceSeconds later. */
  timeoutSeconds: number;
  /** Each line the command writes, as it comes. */
  onLine: (stream: "stdout" | "stderr", line: string) => void;
}

export interface CommandResult {
  /** Exit status; absent when a signal ended it or it never started. */
  exitCode?: number;
  /** The signal that ended it (SIGTERM, SIGKILL at the deadline). */
  signal?: string;
  /** True when the deadline ended it. */
  timedOut: boolean;
  /** Why it could not be started (ENOENT: no such program). */
  startError?: string;
  seconds: number;
}

export function commandSucceeded(result: CommandResult): boolean {
  return result.exitCode === 0 && !result.timedOut;
}

/** One sentence on how the command ended, for logs and errors. */
export function describeCommandResult(program: string, result: CommandResult, timeoutSeconds: number): string {
  if (result.startError !== undefined) return `${program} could not be started: ${result.startError}`;
  if (result.timedOut) return `${program} did not finish within ${timeoutSeconds} s (commandTimeoutSeconds); its process group was ended with ${result.signal ?? "SIGTERM"}`;
  if (result.signal !== undefined) return `${program} was ended by ${result.signal}`;
  return `${program} exited with status ${result.exitCode}`;
}

/**
 * Runs `argv` (no shell: argv[0] is looked up on PATH) in a process group of its own, so
 * that the deadline ends what it started too (a shell's children, a `sleep`).
 */
export function runCommand(argv: readonly string[], options: CommandOptions): Promise<CommandResult> {
  const [program, ...args] = argv;
  if (program === undefined) throw new RangeError("runCommand needs a program to run");
  const env: NodeJS.ProcessEnv = { ...process.env, ...options.env };
  for (const name of WITHHELD_ENVIRONMENT) delete env[name];
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(program, args, { env, stdio: ["ignore", "pipe", "pipe"], detached: true });
    let timedOut = false;
    let killTimer: NodeJS.Timeout | undefined;
    const signalGroup = (signal: NodeJS.Signals): void => {
      try {
        // The negative pid is the process group the command leads (detached: setsid).
        process.kill(-child.pid!, signal);
      } catch {
        // The group is gone already.
      }
    };
    const deadline = setTimeout(() => {
      timedOut = true;
      signalGroup("SIGTERM");
      killTimer = setTimeout(() => signalGroup("SIGKILL"), DEFAULTS.commandKillGraceSeconds * 1000);
    }, options.timeoutSeconds * 1000);
    // Output ends when every holder of the pipes exits: wait for both, and for the exit.
    const drained = [child.stdout, child.stderr].map(
      (stream, i) =>
        new Promise<void>((done) => {
          const lines = createInterface({ input: stream, crlfDelay: Infinity });
          lines.on("line", (line) => options.onLine(i === 0 ? "stdout" : "stderr", line));
          lines.on("close", done);
        }),
    );
    const finish = (result: Omit<CommandResult, "timedOut" | "seconds">): void => {
      clearTimeout(deadline);
      clearTimeout(killTimer);
      resolve({ ...result, timedOut, seconds: (Date.now() - started) / 1000 });
    };
    child.on("error", (error) => finish({ startError: error.message }));
    child.on("exit", (code, signal) => {
      // A background process of the command may still hold the pipes; at the deadline it
      // was ended with the group, otherwise its output is not waited for.
      if (timedOut) signalGroup("SIGKILL");
      void Promise.race([Promise.all(drained), new Promise((r) => setTimeout(r, 1000))]).then(() => {
        child.stdout.destroy();
        child.stderr.destroy();
        finish(code !== null ? { exitCode: code } : { signal: signal ?? undefined });
      });
    });
  });
}
