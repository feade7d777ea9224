// `wait`: blocks until the backends are rolling-restart safe on every member, several
// polls in a row, printing progress and status changes on stderr.

import type { WaitProgress } from "../../cluster/cluster";
import { DEFAULTS, LIMITS } from "../../policy";
import { numberOption, stringList, type CommandSpec } from "../args";
import type { Context } from "../context";
import { Exit, UsageError, exitCodeFor, type ExitCode } from "../exit";
import { progressLine } from "../progress";

export const spec: CommandSpec = {
  name: "wait",
  summary: "wait until backends are rolling-restart safe on every member",
  timeoutIsDeadline: true,
  usage: `Usage: haproxy-cluster wait --backend B [--backend B2]... [--threshold P] [--min-checks N]
                            [--interval SECONDS] [--timeout SECONDS] [--json] MEMBER...

Polls every member until, on every member, at least --threshold percent of each
backend's capacity servers are serving (or none is: a restart cannot make that worse),
--min-checks polls in a row. A member that cannot be read fails the poll. Each poll
prints serving/total and percent per member on stderr, and every status change
("lb2 sees myapp/server2 go UP -> DOWN"); --quiet silences both.

Options:
  --backend B          backend to wait for (repeatable, at least one)
  --threshold P        percent of capacity servers that must serve (default ${DEFAULTS.thresholdPercent})
  --min-checks N       consecutive passing polls required (default ${DEFAULTS.minChecks})
  --interval SECONDS   time between the starts of two polls, at least ${LIMITS.minIntervalSeconds} (default ${DEFAULTS.intervalSeconds})
  --timeout SECONDS    deadline for the whole wait (default ${DEFAULTS.waitTimeoutSeconds}); the deadline of one
                       request is --request-timeout
  --json               on stdout, the last poll's verdict per member

Exit status: 0 safe; 2 not safe at the deadline (the message names the members and
backends that held it back, with their last numbers); 3 when the last poll could not
read some member, or a name is unknown, or the credentials or SSH host key are refused
(those end the wait at once).`,
  options: {
    backend: { type: "string", multiple: true },
    threshold: { type: "string" },
    "min-checks": { type: "string" },
    interval: { type: "string" },
    timeout: { type: "string" },
    json: { type: "boolean" },
  },
};

export async function run(ctx: Context): Promise<ExitCode> {
  const backends = stringList(ctx.values, "backend");
  if (backends.length === 0) throw new UsageError("wait needs --backend B; run haproxy-cluster wait --help.");
  const thresholdPercent = numberOption(ctx.values, "threshold", { min: 0, max: 100 }) ?? DEFAULTS.thresholdPercent;
  const minChecks = numberOption(ctx.values, "min-checks", { min: 1, integer: true }) ?? DEFAULTS.minChecks;
  const intervalSeconds = numberOption(ctx.values, "interval", { min: LIMITS.minIntervalSeconds }) ?? DEFAULTS.intervalSeconds;
  const timeoutSeconds = numberOption(ctx.values, "timeout", { above: 0 }) ?? DEFAULTS.waitTimeoutSeconds;
  const cluster = await ctx.cluster();
  const { isHcError } = await import("../../errors");
  const snapshot = backends.length === 1 ? { backend: backends[0]! } : { types: ["backend", "server"] as const };
  // A wrong name, password or host key ends the wait at once (error-codes.ts), exit 3.
  const options = {
    minChecks,
    intervalSeconds,
    timeoutSeconds,
    thresholdPercent,
    onProgress: (p: WaitProgress) => ctx.out.info(progressLine(ctx.out, p)),
    onTransition: (t: { message: string }) => ctx.out.info(t.message),
  };
  try {
    const { rollingRestartCheck } = await import("../../cluster/cluster");
    const result =
      backends.length === 1
        ? await cluster.waitUntilRollingRestartable(backends[0]!, options)
        : await cluster.waitUntil(
            (snap) => {
              const failing = backends.map((b) => rollingRestartCheck(snap, b, thresholdPercent)).filter((c) => !c.ok);
              return failing.length === 0 ? { ok: true } : { ok: false, reason: failing.map((c) => c.reason).join(", ") };
            },
            { ...options, snapshot, backends, description: `${backends.join(", ")} rolling-restart safe (${thresholdPercent}%)` },
          );
    ctx.out.info(`${backends.join(", ")}: rolling-restart safe on ${cluster.members.length} members (${thresholdPercent}%, ${minChecks} checks in a row) after ${result.polls} polls, ${result.elapsedSeconds.toFixed(1)} s.`);
    if (ctx.json) ctx.out.data(JSON.stringify({ safe: true, polls: result.polls, elapsedSeconds: result.elapsedSeconds, members: result.progress.members }, null, 2));
    return Exit.OK;
  } catch (error) {
    if (!isHcError(error, "HC_WAIT_DEADLINE")) throw error;
    const unreadable = (error.details.unreadable as string[] | undefined) ?? [];
    if (ctx.json) ctx.out.data(JSON.stringify({ safe: false, error: { code: error.code, message: error.message, heldBack: error.details.heldBack, unreadable } }, null, 2));
    ctx.out.error(error.message);
    return exitCodeFor(error);
  }
}
