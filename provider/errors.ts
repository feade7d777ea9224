// Every failure this package reports is an HcError with a stable `code` that callers
// branch on, and a message written for a person: it names the member (credentials
// redacted) and says what to do next.

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
  | "HC_ACTION_REFUSED" // HAProxy answered an action with anything but success
  | "HC_READ_ONLY" // an action on a member that cannot change (file:)
  | "HC_WAIT_DEADLINE" // a wait ran out of time
  | "HC_CAPACITY_GUARD" // refusing to take a server out: too little would keep serving
  | "HC_PULUMI_MISSING" // a Pulumi resource was used where @pulumi/pulumi is not installed
  | "HC_ANALYSIS_FAILED" // a server's new version regressed, or had too little traffic to judge
  | "HC_COMMAND_FAILED" // a restart command run for a server exited nonzero, was killed, or overran its deadline
  | "HC_PARTIAL_FAILURE"; // a cluster-wide operation worked on some members only

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

/** Wraps anything thrown into an HcError that names the member: a RangeError is HC_BAD_SPEC, anything else HC_MEMBER_UNREACHABLE. */
export function asHcError(error: unknown, member: string): HcError {
  if (error instanceof HcError) return error;
  const text = error instanceof Error ? error.message : String(error);
  // The library's own argument checks throw RangeError: a bad argument, not a member down.
  if (error instanceof RangeError) return new HcError("HC_BAD_SPEC", `${member}: ${text}; check the argument.`, { member }, { cause: error });
  return new HcError("HC_MEMBER_UNREACHABLE", `${member}: ${text}`, { member }, { cause: error });
}

/** Joins complete sentences into one: "a." + "b." → "a; b" (the caller ends it). */
export function joinSentences(messages: Iterable<string>): string {
  return [...messages].map((m) => m.replace(/\.$/, "")).join("; ");
}
