// How a server is taken out of rotation and put back: the inputs ServerDrain and
// RollingRestart share, written once so that their names, types and defaults cannot drift.

import type * as pulumi from "@pulumi/pulumi";
import type { DEFAULTS } from "../policy";

/** Taking a server out of rotation on every member, and putting it back (ServerDrain; each batch of RollingRestart). */
export interface DrainArgs {
  /** `drain` (no new sessions; persistent ones continue) or `maint` (no traffic at all) while the server is out. Default `drain`. */
  mode?: pulumi.Input<"drain" | "maint">;
  /**
   * Deadline for the drain (or maint) to be seen on every member, in seconds. Default
   * {@link DEFAULTS.actionTimeoutSeconds}, as the CLI's `drain --wait` and the library.
   */
  drainTimeoutSeconds?: pulumi.Input<number>;
  /** After taking it out, wait until the server has no session and no queued request on any member. Default false. */
  waitForSessions?: pulumi.Input<boolean>;
  /** Deadline of that wait, in seconds. Default {@link DEFAULTS.sessionsTimeoutSeconds}. */
  sessionsTimeoutSeconds?: pulumi.Input<number>;
  /**
   * What happens at the sessions deadline: `fail` (ServerDrain's create or RollingRestart's
   * run fails; the server stays out and the state records where), `proceed` (go on,
   * recording the sessions left), or `shutdown` (kill the remaining sessions, then go on).
   * Default `fail`.
   */
  onSessionsTimeout?: pulumi.Input<"fail" | "proceed" | "shutdown">;
  /**
   * Deadline for the server to be serving again on fresh checks on every member, in
   * seconds: when ServerDrain is deleted, after each RollingRestart command, and when
   * RollingRestart is deleted with a server a stopped run left drained. Default
   * {@link DEFAULTS.actionTimeoutSeconds}.
   */
  restoreTimeoutSeconds?: pulumi.Input<number>;
  /**
   * Capacity guard: refuse to take the server out unless at least this many OTHER
   * servers of the backend keep serving on every member. It looks at the backend after
   * the removal, so a minimum of 1 lets a healthy 3-server backend lose one. Default {@link DEFAULTS.minOtherServing}.
   */
  minOtherServing?: pulumi.Input<number>;
  /** Skip the capacity guard. Default false. */
  force?: pulumi.Input<boolean>;
}
