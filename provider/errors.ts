// Every failure this package reports is an HcError with a stable `code` that callers
// branch on, and a message written for a person: it names the member (credentials
// redacted) and says what to do next. What each code means for a wait, the CLI's exit
// status and the capacity guard's advice is in error-codes.ts.

export type HcErrorCode =
  | "HC_BAD_SPEC" // a member spec or option that cannot be used
  | "HC_MEMBER_UNREACHABLE" // connection refused, DNS failure, socket missing
  | "HC_MEMBER_TIMEOUT" // no answer, or no complete answer, before the deadline
  | "HC_AUTH_FAILED" // 401/403 from the stats page, an SSH server refusing every key
  | "HC_HOST_KEY" // an SSH host key that known_hosts does not vouch for (unknown, changed, revoked)
  | "HC_NOT_ADMIN" // stats page without `stats admin`, socket below level admin
  | "HC_BAD_STATS" // the answer is not HAProxy statistics CSV
  | "HC_TOO_LARGE" // the answer exceeded the configured size limit
  | "HC_UNKNOWN_BACKEND"
  | "HC_UNKNOWN_SERVER"
  | "HC_SERVER_EXISTS" // add-server: the name is taken on a member
  | "HC_HAPROXY_TOO_OLD" // a member's HAProxy lacks what the operation needs (add server with checks: 2.5)
  | "HC_ACTION_REFUSED" // HAProxy answered an action with anything but success
  | "HC_READ_ONLY" // an action on a member that cannot change (file:)
  | "HC_WAIT_DEADLINE" // a wait ran out of time
  | "HC_CAPACITY_GUARD" // refusing to take a server out: too little would keep serving
  | "HC_PULUMI_MISSING" // a Pulumi resource was used where @pulumi/pulumi is not installed
  | "HC_ANALYSIS_FAILED" // a server's new version regressed, or had too little traffic to judge
  | "HC_COMMAND_FAILED" // a restart command run for a server exited nonzero, was killed, or overran its deadline
  | "HC_PARTIAL_FAILURE" // a cluster-wide operation worked on some members only
  | "HC_INTERNAL"; // a bug of ours (a TypeError, say), never a member's failure

export interface HcErrorDetails {
  /** The member spec, credentials redacted. */
  member?: string;
  backend?: string;
  server?: string;
  /** Anything else a program may want to read (HAProxy's reply, status codes…). */
  [key: string]: unknown;
}

export class HcError extends Error {
  readonly code: HcErrorCode;
  readonly details: HcErrorDetails;

  constructor(code: HcErrorCode, message: string, details: HcErrorDetails = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "HcError";
    this.code = code;
    this.details = details;
  }

  get member(): string | undefined {
    return this.details.member;
  }

  toJSON(): { code: HcErrorCode; message: string; details: HcErrorDetails } {
    return { code: this.code, message: this.message, details: this.details };
  }
}

export function isHcError(value: unknown, code?: HcErrorCode): value is HcError {
  return value instanceof HcError && (code === undefined || value.code === code);
}

/** The failures of a cluster-wide operation, one per member that failed. */
export class HcPartialFailure extends HcError {
  readonly failures: ReadonlyMap<string, HcError>;
  readonly succeeded: readonly string[];

  constructor(message: string, failures: ReadonlyMap<string, HcError>, succeeded: readonly string[]) {
    super("HC_PARTIAL_FAILURE", message, { failed: [...failures.keys()], succeeded: [...succeeded] });
    this.name = "HcPartialFailure";
    this.failures = failures;
    this.succeeded = succeeded;
  }
}

/**
 * Wraps anything thrown into an HcError that names the member: a RangeError (the
 * library's argument checks) is HC_BAD_SPEC, a network error that no transport mapped is
 * HC_MEMBER_UNREACHABLE, anything else is a bug: HC_INTERNAL, keeping the original
 * message for the report.
 */
export function asHcError(error: unknown, member: string): HcError {
  if (error instanceof HcError) return error;
  const text = error instanceof Error ? error.message : String(error);
  if (error instanceof RangeError) return new HcError("HC_BAD_SPEC", `${member}: ${text}; check the argument.`, { member }, { cause: error });
  if (isNetworkError(error)) return new HcError("HC_MEMBER_UNREACHABLE", `${member}: ${text}`, { member }, { cause: error });
  const original = error instanceof Error ? `${error.name}: ${error.message}` : `a thrown ${typeof error} ${text}`;
  return new HcError("HC_INTERNAL", `${member}: internal error (${original}); this is a bug in haproxy-cluster, not a problem with the member: please report it with this message.`, { member, original }, { cause: error });
}

/**
 * An error from the network or an operation cut short: an errno or failed system call
 * (ECONNRESET, EPIPE…), a Node socket or stream error, a TLS error, an ssh2 error (it
 * carries a `level`), an abort or timeout. A TypeError carrying ERR_INVALID_ARG_TYPE is
 * a bug, not the network.
 */
function isNetworkError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const { code, level, syscall } = error as { code?: unknown; level?: unknown; syscall?: unknown };
  if (typeof level === "string" || typeof syscall === "string") return true;
  if (error.name === "AbortError" || error.name === "TimeoutError") return true;
  if (typeof code !== "string") return false;
  if (code.startsWith("ERR_")) return /^ERR_(SOCKET|STREAM_PREMATURE_CLOSE|TLS|SSL)/.test(code);
  return /^E[A-Z0-9_]+$/.test(code) || /CERT|SSL|TLS/.test(code);
}

/** `text` ending as a sentence: a full stop added unless it already ends with one, `?` or `!`. */
export function asSentence(text: string): string {
  return /[.?!]$/.test(text) ? text : `${text}.`;
}

/** Joins complete sentences into one: "a." + "b." → "a; b" (the caller ends it). */
export function joinSentences(messages: Iterable<string>): string {
  return [...messages].map((m) => m.replace(/\.$/, "")).join("; ");
}
