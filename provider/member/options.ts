// The options that say how to reach a member: their types, defaults and limits, and the
// check where they enter. One table is the home of every rule. It is checked by hand, not
// with zod, because every CLI command passes through here and loading zod costs about
// 90 ms (all of its locales) against a one-shot `check`'s whole budget of about 2× a bare
// `node -e 0`; zod stays where Pulumi inputs enter (pulumi/impl/inputs.ts).

import { DEFAULTS, LIMITS } from "../policy";

/** One request's deadline (connect, headers and whole body) when none is given, in seconds. */
export const DEFAULT_REQUEST_TIMEOUT_SECONDS = DEFAULTS.requestTimeoutSeconds;
/** Largest answer accepted when none is given, in bytes. */
export const DEFAULT_MAX_RESPONSE_BYTES = DEFAULTS.maxResponseBytes;

/** Options for one member, or for all members of a cluster. */
export interface MemberOptionsInput {
  /** Stats page user. Default: from the URL, else `HAPROXY_CLUSTER_USER`. */
  username?: string;
  /** Stats page password. Default: from the URL, else `HAPROXY_CLUSTER_PASSWORD`. */
  password?: string;
  /** Deadline for one request: connect, headers and whole body, in seconds (above 0, at most {@link LIMITS.maxRequestTimeoutSeconds}). Default {@link DEFAULTS.requestTimeoutSeconds}. */
  requestTimeoutSeconds?: number;
  /**
   * @deprecated The old name of `requestTimeoutSeconds` (`timeoutSeconds` is a wait's
   * deadline everywhere else); still taken.
   */
  timeoutSeconds?: number;
  /** Largest answer accepted, in bytes. Default {@link DEFAULTS.maxResponseBytes} (64 MiB). */
  maxResponseBytes?: number;
  /** PEM CA certificate(s) to trust for https members (replaces the system store). */
  caPem?: string;
  /** Path of a PEM CA file, read once; an alternative to `caPem`. */
  caFile?: string;
  /**
   * Skip TLS certificate verification for https members. Named loudly on purpose:
   * anyone on the path can then read the stats password and change servers.
   */
  dangerouslySkipTlsVerify?: boolean;
  /**
   * Runtime API members: whether the socket is HAProxy's master CLI (`-S`). Default:
   * detected from its answers (`show stat` is "Unknown command" there, `show proc` works).
   */
  masterSocket?: boolean;
  /** ssh members: a private key file. Default: `HAPROXY_CLUSTER_SSH_IDENTITY`; the SSH agent is tried too. */
  sshIdentityFile?: string;
  /** ssh members: a private key in OpenSSH/PEM form (for programs and Pulumi secrets). Never printed. */
  sshPrivateKey?: string;
  /** ssh members: the key's passphrase. Default: `HAPROXY_CLUSTER_SSH_PASSPHRASE`, or the file in `sshPassphraseFile`. Never printed. */
  sshPassphrase?: string;
  /** ssh members: a file holding the key's passphrase (first line). Default: `HAPROXY_CLUSTER_SSH_PASSPHRASE_FILE`. */
  sshPassphraseFile?: string;
  /** ssh members: the SSH agent's socket. Default: `SSH_AUTH_SOCK`; `false` turns the agent off. */
  sshAgent?: string | false;
  /** ssh members: a known_hosts file. Default: `HAPROXY_CLUSTER_SSH_KNOWN_HOSTS`, else ~/.ssh/known_hosts. */
  sshKnownHostsFile?: string;
  /** ssh members: known_hosts lines given inline (for programs and Pulumi), used instead of the file. */
  sshKnownHosts?: string;
  /** ssh members: a bastion to go through, `[user@]host[:port]` (like ssh's ProxyJump). Default: `HAPROXY_CLUSTER_SSH_JUMP`. */
  sshJump?: string;
  /**
   * ssh members: accept a host key that known_hosts does not list (first contact in a
   * throwaway environment). Named loudly on purpose: whoever answers on that address then
   * gets the admin socket's commands. A known host whose key changed is refused anyway.
   */
  dangerouslyAcceptUnknownHostKey?: boolean;
}

/** Member options once checked, defaults applied. */
export type MemberOptions = Omit<MemberOptionsInput, "timeoutSeconds"> & {
  requestTimeoutSeconds: number;
  maxResponseBytes: number;
  dangerouslySkipTlsVerify: boolean;
  dangerouslyAcceptUnknownHostKey: boolean;
};

type Rule = { ok: (value: unknown) => boolean; says: string };

const text: Rule = { ok: (v) => typeof v === "string", says: "a string" };
const path: Rule = { ok: (v) => typeof v === "string" && v !== "", says: "a non-empty string" };
const flag: Rule = { ok: (v) => typeof v === "boolean", says: "true or false" };
const requestTimeout: Rule = { ok: (v) => typeof v === "number" && Number.isFinite(v) && v > 0 && v <= LIMITS.maxRequestTimeoutSeconds, says: `a number of seconds above 0 and at most ${LIMITS.maxRequestTimeoutSeconds}` };

/** Each option's rule, in the words the error message uses. */
const RULES: { readonly [K in keyof MemberOptionsInput]-?: Rule } = {
  username: text,
  password: text,
  requestTimeoutSeconds: requestTimeout,
  timeoutSeconds: requestTimeout,
  maxResponseBytes: { ok: (v) => Number.isSafeInteger(v) && (v as number) > 0, says: "a whole number of bytes above 0" },
  caPem: text,
  caFile: text,
  dangerouslySkipTlsVerify: flag,
  masterSocket: flag,
  sshIdentityFile: path,
  sshPrivateKey: path,
  sshPassphrase: text,
  sshPassphraseFile: path,
  sshAgent: { ok: (v) => v === false || path.ok(v), says: "a socket path or false" },
  sshKnownHostsFile: path,
  sshKnownHosts: text,
  sshJump: path,
  dangerouslyAcceptUnknownHostKey: flag,
};

/**
 * The options with defaults applied, or one sentence per broken rule (the value shown
 * only when it cannot be a secret). Absent (undefined) options take their defaults.
 */
export function checkMemberOptions(input: unknown): { options: MemberOptions } | { problems: string[] } {
  if (input === undefined) input = {};
  if (input === null || typeof input !== "object" || Array.isArray(input)) return { problems: [`options must be an object such as { requestTimeoutSeconds: 10 }, not ${describe(input)}`] };
  const problems: string[] = [];
  for (const [name, value] of Object.entries(input)) {
    const rule = (RULES as Record<string, Rule | undefined>)[name];
    if (rule === undefined) problems.push(`${name} is not an option (known: ${Object.keys(RULES).join(", ")})`);
    else if (value !== undefined && !rule.ok(value)) problems.push(`${name} must be ${rule.says}, not ${rule === text || rule === path ? typeof value : describe(value)}`);
  }
  const { timeoutSeconds: oldName, ...given } = input as MemberOptionsInput;
  if (oldName !== undefined && given.requestTimeoutSeconds !== undefined && oldName !== given.requestTimeoutSeconds) {
    problems.push("give requestTimeoutSeconds only: timeoutSeconds is its old name, and the two differ");
  }
  if (problems.length > 0) return { problems };
  return {
    options: {
      ...given,
      requestTimeoutSeconds: given.requestTimeoutSeconds ?? oldName ?? DEFAULT_REQUEST_TIMEOUT_SECONDS,
      maxResponseBytes: given.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES,
      dangerouslySkipTlsVerify: given.dangerouslySkipTlsVerify ?? false,
      dangerouslyAcceptUnknownHostKey: given.dangerouslyAcceptUnknownHostKey ?? false,
    },
  };
}

function describe(value: unknown): string {
  if (typeof value === "string") return "a string";
  if (Array.isArray(value)) return "an array";
  return value === null ? "null" : typeof value === "object" ? "an object" : String(value);
}
