// The command-line options that several commands share, and how each is read: one home
// for every table and rule (drain, maint and disable in actions.ts; add-server,
// remove-server and set-address in servers.ts).

import type { SessionsTimeoutPolicy } from "../../cluster/actions";
import { numberOption, type OptionSpec } from "../args";
import type { Context } from "../context";
import { UsageError } from "../exit";

/** The capacity guard: `--force`, `--min-other-serving N`. */
export const GUARD_OPTIONS = { force: { type: "boolean" }, "min-other-serving": { type: "string" } } as const satisfies OptionSpec;
/** `--wait` and its deadline `--timeout SECONDS`. */
export const WAIT_OPTIONS = { wait: { type: "boolean" }, timeout: { type: "string" } } as const satisfies OptionSpec;
/** The drained server's sessions: their deadline and what happens at it. */
export const SESSIONS_OPTIONS = { "sessions-timeout": { type: "string" }, "shutdown-sessions": { type: "boolean" }, proceed: { type: "boolean" } } as const satisfies OptionSpec;
export const JSON_OPTION = { json: { type: "boolean" } } as const satisfies OptionSpec;

/** The capacity guard's options from the command line. */
export function guardOptions(ctx: Context): { force: boolean; minOtherServing?: number } {
  return { force: ctx.flag("force"), minOtherServing: numberOption(ctx.values, "min-other-serving", { min: 0, integer: true }) };
}

/** What happens when sessions remain at the deadline: `--shutdown-sessions`, `--proceed`, or fail (neither). */
export function sessionsTimeoutPolicy(ctx: Context): SessionsTimeoutPolicy {
  if (ctx.flag("shutdown-sessions") && ctx.flag("proceed")) throw new UsageError("choose one of --shutdown-sessions and --proceed: what happens when sessions remain at the deadline.");
  return ctx.flag("shutdown-sessions") ? "shutdown" : ctx.flag("proceed") ? "proceed" : "fail";
}
