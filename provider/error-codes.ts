// What each HC_* code means for the code that meets it: whether a wait retries it, the
// CLI's exit status, and the advice the capacity guard may give. One table, so that a
// wait, the guard, the CLI and the docs page cannot drift apart; adding a code is one row.

import type { HcErrorCode } from "./errors";

/**
 * Where an error comes from, which decides what a caller may do about it:
 * - `request`: what was asked cannot be done as asked (a name HAProxy does not know, a bad
 *   argument, a change to a member that cannot change). Nothing was changed; the error is
 *   passed on as it is, never dressed up as a member's failure.
 * - `unreachable`: the member did not answer at all (down, reloading, gone).
 * - `member`: the member answered, but not as a usable HAProxy for us (credentials, host
 *   key, level, not statistics). Fixing it means fixing the member or the way to it.
 * - `outcome`: how an operation ended (refused, ran out of time, partly done).
 * - `environment`: something about where the code runs, including our own bugs.
 */
export type ErrorKind = "request" | "unreachable" | "member" | "outcome" | "environment";

export interface ErrorCodeInfo {
  /** One sentence for people (the generated errors page). */
  meaning: string;
  /** What to do about it, for people (the generated errors page). */
  whatToDo: string;
  kind: ErrorKind;
  /**
   * A member's read failing with this code during a wait: `retry` on the next poll (it may
   * pass: a reload, a busy member), or `final`: the wait ends at once with this error,
   * since waiting cannot cure it.
   */
  duringWait: "retry" | "final";
  /** The CLI's exit status when this error ends a command (2 CRITICAL, 3 UNKNOWN); see exitStatusFor. */
  exitStatus: 2 | 3;
  /**
   * What the capacity guard says after "cannot check capacity on MEMBER (its error)": only
   * what helps. Never `force`: it skips the guard, yet cannot change a member it cannot
   * read, so it would take the servers out on the other members only. Absent: the guard
   * passes the error on as it is (a misspelt name, a bug: no capacity question).
   */
  guardAdvice?: string;
}

const FIX = "fix the member and try again";
const FIX_OR_LEAVE_OUT = `${FIX}; if it is out of service, leave it out of the members to act on the others`;

export const ERROR_CODES: Readonly<Record<HcErrorCode, ErrorCodeInfo>> = {
  HC_BAD_SPEC: {
    meaning: "A member spec, option or argument cannot be used as given; nothing was asked of any member.",
    whatToDo: "fix the argument the message names; the CLI's `COMMAND --help` gives the usage",
    kind: "request",
    duringWait: "final",
    exitStatus: 3,
  },
  HC_MEMBER_UNREACHABLE: {
    meaning: "The member could not be reached: connection refused, socket missing or not permitted, host not found, SSH failed.",
    whatToDo: "check that HAProxy runs and the spec points at it (address, socket path, `stats socket` line, certificate: `--ca`); a master without a current worker needs HAProxy restarted",
    kind: "unreachable",
    duringWait: "retry",
    exitStatus: 3,
    guardAdvice: FIX_OR_LEAVE_OUT,
  },
  HC_MEMBER_TIMEOUT: {
    meaning: "The member gave no answer, or no complete answer, before the deadline.",
    whatToDo: "check the member's load and the network path, or raise the request deadline",
    kind: "unreachable",
    duringWait: "retry",
    exitStatus: 3,
    guardAdvice: FIX_OR_LEAVE_OUT,
  },
  HC_AUTH_FAILED: {
    meaning: "The member refused the credentials: HTTP 401/403 from the stats page, an SSH server refusing every key offered, or an SSH agent socket (SSH_AUTH_SOCK) that is missing or stale with no key file.",
    whatToDo: "check the user and password (`HAPROXY_CLUSTER_USER`, `HAPROXY_CLUSTER_PASSWORD`, `--password-file`), or the SSH key and agent",
    kind: "member",
    duringWait: "final",
    exitStatus: 3,
    guardAdvice: FIX,
  },
  HC_HOST_KEY: {
    meaning: "An SSH host key that known_hosts does not vouch for (unknown, changed or revoked); nothing was sent to that host.",
    whatToDo: "verify the fingerprint out of band and add it to known_hosts (`--ssh-known-hosts`); `--force` does not help. `--dangerously-accept-unknown-host-key` accepts an unknown key for first contact in throwaway set-ups; a changed key is refused anyway",
    kind: "member",
    duringWait: "final",
    exitStatus: 3,
    guardAdvice: "check the host key as said; nothing can change on that member until known_hosts vouches for it",
  },
  HC_NOT_ADMIN: {
    meaning: "The member does not allow changes: a stats page without `stats admin`, or a socket below level admin.",
    whatToDo: "give the socket `level admin` (`stats socket … level admin`) or the stats page `stats admin if …`; reads still work",
    kind: "member",
    duringWait: "final",
    exitStatus: 3,
    guardAdvice: FIX,
  },
  HC_BAD_STATS: {
    meaning: "The answer is not HAProxy statistics: another web page, a truncated or empty answer, an unknown format.",
    whatToDo: "check that the URL is the stats page (`stats uri`) or the socket HAProxy's Runtime API",
    kind: "member",
    // An empty or cut answer is what HAProxy gives during a reload: the next poll may pass.
    duringWait: "retry",
    exitStatus: 3,
    guardAdvice: FIX,
  },
  HC_TOO_LARGE: {
    meaning: "The answer exceeded the configured size limit (maxResponseBytes).",
    whatToDo: "read one backend (`--backend`), or raise `maxResponseBytes`",
    kind: "member",
    duringWait: "retry",
    exitStatus: 3,
    guardAdvice: FIX,
  },
  HC_UNKNOWN_BACKEND: {
    meaning: "The member has no backend (or proxy) of that name.",
    whatToDo: "check the name (`haproxy-cluster status` lists them) and that every member has the same configuration",
    kind: "request",
    duringWait: "final",
    exitStatus: 3,
  },
  HC_UNKNOWN_SERVER: {
    meaning: "The backend has no server of that name, or the host is on no member (or not on all of them).",
    whatToDo: "check the name (`haproxy-cluster status --backend B` lists them)",
    kind: "request",
    duringWait: "final",
    exitStatus: 3,
  },
  HC_SERVER_EXISTS: {
    meaning: "A server of that name is already in the backend on some member; nothing was added anywhere.",
    whatToDo: "choose another name, or remove the old server first (`haproxy-cluster remove-server`)",
    kind: "request",
    duringWait: "final",
    exitStatus: 3,
  },
  HC_HAPROXY_TOO_OLD: {
    meaning: "A member's HAProxy is older than the operation needs (servers added at run time with health checks need 2.5); nothing changed anywhere.",
    whatToDo: "upgrade that member, or leave it out of the members to act on",
    kind: "request",
    duringWait: "final",
    exitStatus: 3,
  },
  HC_ACTION_REFUSED: {
    meaning: "HAProxy answered an action with anything but success, or accepted it and still shows the old state.",
    whatToDo: "read HAProxy's reply in the message; for `weight` use a Runtime API member",
    kind: "outcome",
    duringWait: "retry",
    exitStatus: 3,
    guardAdvice: FIX,
  },
  HC_READ_ONLY: {
    meaning: "An action on a member that cannot change (a saved CSV file, file:).",
    whatToDo: "act on a live member (stats page or Runtime API)",
    kind: "request",
    duringWait: "final",
    exitStatus: 3,
  },
  HC_WAIT_DEADLINE: {
    meaning: "A wait ran out of time; the message names each member that held it back and why (exit 3 instead of 2 when a member could not be read on the last poll).",
    whatToDo: "see why those servers do not serve (`haproxy-cluster status`), or give the wait more time (`--timeout`, `timeoutSeconds`)",
    kind: "outcome",
    duringWait: "retry",
    exitStatus: 2,
    guardAdvice: FIX,
  },
  HC_CAPACITY_GUARD: {
    meaning: "Refusing to take servers out: too few other servers would keep serving on some member; nothing changed.",
    whatToDo: "wait for the backend to recover, or set `force` (`--force`) to take the servers out anyway; when a member could not be read, make it readable first (`--force` does not)",
    kind: "outcome",
    duringWait: "retry",
    exitStatus: 2,
    // The one refusal that force answers: the member was read, and the operator may overrule it.
    guardAdvice: "wait for the backend to recover, or set force (--force on the command line) to take them out anyway",
  },
  HC_PULUMI_MISSING: {
    meaning: "A Pulumi resource was used where @pulumi/pulumi is not installed.",
    whatToDo: "install it in the project (`npm install @pulumi/pulumi`): it is a peer dependency",
    kind: "environment",
    duringWait: "final",
    exitStatus: 3,
    guardAdvice: FIX,
  },
  HC_ANALYSIS_FAILED: {
    meaning: "A server's new version regressed against its peers, or had too little traffic to judge (exit 3 instead of 2 when too little traffic was the only failure).",
    whatToDo: "read the verdict in the message; with `onFailure: drain` the server is already out of rotation. Roll back, or for too little traffic raise the bake window or set `onNotEnoughTraffic`",
    kind: "outcome",
    duringWait: "final",
    exitStatus: 2,
    guardAdvice: FIX,
  },
  HC_COMMAND_FAILED: {
    meaning: "A RollingRestart's restart command exited nonzero, was ended by a signal, or overran commandTimeoutSeconds; the server stays drained and is listed in drainedServers.",
    whatToDo: "read the command's output in the `pulumi up` log (lines prefixed `[server]`); fix the app, then run `pulumi up` again: it restarts that server first and carries on",
    kind: "outcome",
    duringWait: "final",
    exitStatus: 2,
  },
  HC_PARTIAL_FAILURE: {
    meaning: "A cluster-wide operation worked on some members only; the message says where it changed and how to undo or retry.",
    whatToDo: "fix the failing members and run the command again, or undo the change where it applied, as the message says",
    kind: "outcome",
    duringWait: "retry",
    exitStatus: 3,
    guardAdvice: FIX,
  },
  HC_INTERNAL: {
    meaning: "A bug in haproxy-cluster, not a problem with any member; please report it with the message, which keeps the original error.",
    whatToDo: "report it with the whole message (and `--verbose`'s stack): it is a bug in haproxy-cluster, not a problem with the member",
    kind: "environment",
    duringWait: "final",
    exitStatus: 3,
  },
};

/** True when a wait should end at once on a read that failed with `code` (see ErrorCodeInfo.duringWait). */
export function endsWait(code: HcErrorCode): boolean {
  return ERROR_CODES[code].duringWait === "final";
}

/** True when the error is about what was asked, not the member (see ErrorKind `request`). */
export function isRequestError(code: HcErrorCode): boolean {
  return ERROR_CODES[code].kind === "request";
}

/** True when the member did not answer at all, as opposed to refusing or answering wrongly. */
export function isUnreachable(code: HcErrorCode): boolean {
  return ERROR_CODES[code].kind === "unreachable";
}

/**
 * The CLI's exit status for an error that ends a command: the table's, refined by what
 * the error knows. A wait's deadline is CRITICAL only when every member was read (else
 * "could not tell"); an analysis that failed for too little traffic alone could not tell.
 * Anything without an HC_* code is UNKNOWN.
 */
export function exitStatusFor(error: unknown): 2 | 3 {
  const { code, details = {} } = (error ?? {}) as { code?: unknown; details?: Record<string, unknown> };
  if (typeof code !== "string" || !Object.hasOwn(ERROR_CODES, code)) return 3;
  if (code === "HC_WAIT_DEADLINE" && Array.isArray(details.unreadable) && details.unreadable.length > 0) return 3;
  if (code === "HC_ANALYSIS_FAILED" && Array.isArray(details.verdicts) && !details.verdicts.some((v) => (v as { outcome?: string }).outcome === "regression")) return 3;
  return ERROR_CODES[code as HcErrorCode].exitStatus;
}
