// The held restart, `drain … -- COMMAND`: drains the servers, runs COMMAND (the app's
// restart) in a process group of its own while holding them drained (again on a member
// that reloads meanwhile), then puts them back on fresh checks and waits. The shell
// deploy pattern has no process of ours running while the app restarts; this gives it
// one. Told to stop at any point (SIGINT, SIGTERM; the rule is interrupt.ts), it stops
// COMMAND, reads what each member shows, and says so with the command that puts the
// servers back.

import { DEFAULTS } from "../../policy";
import type { Cluster } from "../../cluster/cluster";
import type { ClusterServerAction } from "../../cluster/actions";
import { numberOption } from "../args";
import { CommandGroup, STOP_GRACE_SECONDS, type CommandEnd, type StopOutcome } from "../command-group";
import type { Context } from "../context";
import { Exit, UsageError, type ExitCode, type SignalExitCode } from "../exit";
import { Interruption, type Interrupted } from "../interrupt";
import { failed, jsonReport, printResults } from "./action-report";
import { applyOnServers, serversRequest, tellProgress, type Applied, type ServersRequest } from "./action-apply";
import { cellText } from "../servers-shown";

/** What a stop is told: what became of COMMAND, the servers as last known, and whether they were put back. */
interface Known {
  command: string;
  servers: string;
  putBack: boolean;
}

/**
 * Runs the held restart: the drain (and any sessions wait) as the plain form applies and
 * tells it, whose waits end early when the user stops us, then COMMAND, then the way back.
 */
export async function runHeldRestart(ctx: Context, action: ClusterServerAction): Promise<ExitCode | SignalExitCode> {
  const target = serversRequest(ctx, action);
  const [program, ...args] = ctx.trailing!;
  const subject = `${target.backend}/${target.servers.join(",")}`;
  if (program === undefined) throw new UsageError(`nothing after --: give the command to run while ${subject} is held out.`);
  const readyTimeoutSeconds = numberOption(ctx.values, "ready-timeout", { above: 0 }) ?? DEFAULTS.actionTimeoutSeconds;
  const cluster = await ctx.cluster();
  const wayBack = ctx.commandFor(["ready", ...target.select, "--wait"]);
  const advice = (known: Known) => (known.putBack ? `It takes traffic once fresh health checks pass; to wait for that, run ${wayBack}` : `Put it back once the app is healthy: ${wayBack}`);

  const interruption = Interruption.catch(ctx.out);
  const known: Known = { command: `${program} was not run`, servers: "being drained (it may be drained on some members)", putBack: false };
  interruption.setLastWords((signal) => `stopped at once by a second ${signal}: ${known.command}; ${subject} was last seen ${known.servers} (not read again). ${advice(known)}`);
  /** After the first signal: COMMAND is stopped; read the members and say what is left and the way back. */
  const tellStopped = async (interrupted: Interrupted, command: string): Promise<SignalExitCode> => {
    known.command = command;
    const states = await readStates(cluster, target);
    ctx.out.error(`interrupted by ${interrupted.signalName}: ${command}; ${subject} now: ${states}. ${advice(known)}`);
    return interrupted.exitCode;
  };

  try {
    let applied: Applied | ExitCode;
    try {
      applied = await applyOnServers(ctx, target, interruption.signal);
    } catch (error) {
      if (!interruption.received) throw error;
      return await tellStopped(interruption.received, `${program} was not run`);
    }
    if (interruption.received) return await tellStopped(interruption.received, `${program} was not run`);
    if (typeof applied === "number") return applied;
    const { report } = applied;
    known.servers = `drained on ${report.changed.join(", ")}`;

    const command = CommandGroup.start(program, args);
    known.command = `${program} and its process group were killed (SIGKILL)`;
    interruption.onForcedEnd(() => command.kill());
    // The first signal goes on to COMMAND's group while it runs; the hold goes on until it ends.
    let stopping: Promise<StopOutcome> | undefined;
    const forward = () => {
      if (!command.running) return;
      const signal = interruption.received!.signalName;
      ctx.out.info(`${signal}: stopping ${program} (${signal} to its process group, SIGKILL after ${STOP_GRACE_SECONDS} s); a second ${signal} stops at once.`);
      stopping = command.stop(signal);
    };
    interruption.signal.addEventListener("abort", forward, { once: true });
    void command.ended.then((end) => {
      if (!stopping) known.command = `${program} had exited with status ${end.status}`;
    });
    const end = await report.hold!.holdWhile(cluster, command.ended);
    interruption.signal.removeEventListener("abort", forward);
    if (end.error !== undefined) ctx.out.error(`could not run ${program}: ${end.error}`);
    const interrupted = interruption.received;
    if (interrupted && stopping) return await tellStopped(interrupted, stoppedCommand(program, interrupted, end, await stopping));
    if (end.status !== 0) {
      if (interrupted) return await tellStopped(interrupted, `${program} had already exited with status ${end.status}`);
      ctx.out.error(`${program} exited with status ${end.status}; ${subject} stays out of rotation on every member. Put it back once the app is healthy: ${wayBack}`);
      return Exit.CRITICAL;
    }

    // COMMAND succeeded: put the servers back as the plain path does, even when a signal
    // came meanwhile (then without waiting for the fresh checks).
    known.command = `${program} had finished`;
    known.servers = "being put back (set ready on some members, maybe not all)";
    known.putBack = true;
    ctx.out.info(`${program} finished; putting ${subject} back on fresh health checks.`);
    const { applyServerAction } = await import("../../cluster/actions");
    try {
      const back = await applyServerAction(cluster, target.backend, target.servers, "ready", {
        wait: !interruption.received,
        timeoutSeconds: readyTimeoutSeconds,
        signal: interruption.signal,
        ...tellProgress(ctx),
      });
      printResults(ctx, back);
      if (interruption.received) return await tellStopped(interruption.received, `${program} had finished and ${subject} was put back`);
      if (ctx.json) ctx.out.data(JSON.stringify({ ...jsonReport(report), command: { status: end.status }, ready: jsonReport(back) }, null, 2));
      return Exit.OK;
    } catch (error) {
      if (interruption.received) return await tellStopped(interruption.received, `${program} had finished and ${subject} was being put back`);
      return failed(ctx, "ready", error, target.select);
    }
  } finally {
    interruption.release();
  }
}

/** "sleep was stopped: it ended on SIGTERM", or that its process group had to be killed. */
function stoppedCommand(program: string, interrupted: Interrupted, end: CommandEnd, outcome: StopOutcome): string {
  const signal = interrupted.signalName;
  if (outcome === "killed") return `${program} did not end within ${STOP_GRACE_SECONDS} s of ${signal}, so its process group was killed`;
  return end.signal !== undefined ? `${program} was stopped: it ended on ${end.signal}` : `${program} was stopped: it exited with status ${end.status} on ${signal}`;
}

/** Each member's state of the servers, read now: "unix:/a.sock DRAIN; tcp://b:9 could not be read (…)". */
async function readStates(cluster: Cluster, target: ServersRequest): Promise<string> {
  const snap = await cluster.snapshot({ backend: target.backend });
  return cluster.memberNames
    .map((member) => {
      const error = snap.errors.get(member);
      if (error) return `${member} could not be read (${error.message.replace(`${member}: `, "").replace(/\.$/, "")})`;
      try {
        const be = snap.snapshots.get(member)!.backend(target.backend);
        const cells = target.servers.map((name) => cellText(be.server(name)));
        return target.servers.length === 1 ? `${member} ${cells[0]}` : `${member} ${target.servers.map((name, i) => `${name} ${cells[i]}`).join(", ")}`;
      } catch (error) {
        return `${member} ${(error as Error).message.replace(/\.$/, "")}`;
      }
    })
    .join("; ");
}
