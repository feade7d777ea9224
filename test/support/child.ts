// A child process the rig owns: its PID is tracked for the exit sweep, its output is
// kept (bounded) for error messages, and stopping it escalates to SIGKILL at a deadline.
import { spawn, type ChildProcess } from "node:child_process";
import { trackPid, untrackPid } from "./registry";

const OUTPUT_LIMIT = 64 * 1024;

export class OwnedChild {
  readonly pid: number;
  private readonly process: ChildProcess;
  private stdoutText = "";
  private stderrText = "";
  private exitDescription: string | undefined;
  private readonly exited: Promise<void>;

  constructor(readonly label: string, command: string, args: string[]) {
    this.process = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
    // Without a listener a failed spawn (ENOENT) would crash the test run instead of failing one test.
    this.process.on("error", (error) => (this.stderrText += `\nspawn error: ${error.message}`));
    if (this.process.pid === undefined) throw new Error(`${label}: could not spawn ${command}`);
    this.pid = this.process.pid;
    trackPid(this.pid, label);
    this.process.stdout?.on("data", (chunk: Buffer) => (this.stdoutText = tail(this.stdoutText + chunk.toString())));
    this.process.stderr?.on("data", (chunk: Buffer) => (this.stderrText = tail(this.stderrText + chunk.toString())));
    this.exited = new Promise((resolve) => {
      this.process.once("exit", (code, signal) => {
        this.exitDescription = signal ? `killed by ${signal}` : `exited with code ${code}`;
        untrackPid(this.pid);
        resolve();
      });
    });
  }

  hasExited(): boolean {
    return this.exitDescription !== undefined;
  }

  /** Why it ended and what it said, for error messages. */
  describe(): string {
    const state = this.exitDescription ?? `running as PID ${this.pid}`;
    return `${this.label} (${state})\n--- stdout ---\n${this.stdoutText}\n--- stderr ---\n${this.stderrText}`;
  }

  /** Resolves with the first match of `pattern` in stdout; fails if the child exits first or at the deadline. */
  async waitForStdout(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const match = this.stdoutText.match(pattern);
      if (match) return match;
      if (this.hasExited()) throw new Error(`${this.label} ended before printing ${pattern}: ${this.describe()}`);
      if (Date.now() >= deadline) throw new Error(`${this.label} did not print ${pattern} within ${timeoutMs} ms: ${this.describe()}`);
      await Promise.race([this.exited, onceData(this.process), wait(deadline - Date.now())]);
    }
  }

  /** Resolves true once the process has exited, false if it is still running at the deadline. */
  async waitForExit(timeoutMs: number): Promise<boolean> {
    if (this.hasExited()) return true;
    await Promise.race([this.exited, wait(timeoutMs)]);
    return this.hasExited();
  }

  /**
   * Sends `signal` and waits `graceMs` for the exit; then SIGKILLs. Returns how it ended.
   * Throws only if even SIGKILL leaves the process running after 5 s.
   */
  async stop(signal: NodeJS.Signals, graceMs: number): Promise<"graceful" | "killed"> {
    if (this.hasExited()) return "graceful";
    this.process.kill(signal);
    if (await this.waitForExit(graceMs)) return "graceful";
    this.process.kill("SIGKILL");
    if (await this.waitForExit(5_000)) return "killed";
    throw new Error(`${this.label}: PID ${this.pid} survived SIGKILL for 5 s`);
  }
}

function tail(text: string): string {
  return text.length > OUTPUT_LIMIT ? text.slice(-OUTPUT_LIMIT) : text;
}

function wait(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)).unref());
}

function onceData(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => child.stdout?.once("data", () => resolve()));
}

/** True while a process with this PID exists (signal 0 probes without touching it). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
