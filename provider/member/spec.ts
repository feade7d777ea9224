// A member is one HAProxy, named by its whole spec (never by host alone: two HAProxy
// instances on one host are two members). This module turns a spec string and
// options into a validated, credential-free description of how to reach it.

import * as fs from "node:fs";
import * as path from "node:path";
import { HcError } from "../errors";
import { checkMemberOptions, type MemberOptions, type MemberOptionsInput } from "./options";
import { redactUrl } from "./redact";

export { redactUrl };
export { passwordInUrl } from "./redact";

export type MemberKind = "http" | "unix" | "tcp" | "ssh" | "file";

/** How to reach one HAProxy. Holds no secret in any printable field. */
export interface MemberTarget {
  kind: MemberKind;
  /** The spec with credentials removed: the member's name in every result and message. */
  name: string;
  /** http(s): origin, e.g. `https://lb1:8443`. */
  origin?: string;
  /** http(s): the stats page path, e.g. `/stats` (no `;csv`). */
  statsPath?: string;
  /** unix and ssh: socket path (ssh: on the far side); file: CSV path. */
  path?: string;
  /** tcp: host and port of the Runtime API; ssh: of the SSH server. */
  host?: string;
  port?: number;
  /** ssh: the login user (not a secret). */
  user?: string;
}

export type { MemberOptionsInput, MemberOptions } from "./options";

export interface Credentials {
  username: string;
  password: string;
}

/** What an ssh member may need to log in; never printed, never in options. */
export interface SshSecrets {
  privateKey?: string;
  passphrase?: string;
}

/** Member options once secrets have been taken out of them (they travel apart). */
export type TransportOptions = Omit<MemberOptions, "username" | "password" | "sshPrivateKey" | "sshPassphrase">;

export interface ResolvedMember {
  target: MemberTarget;
  options: TransportOptions;
  /** Present for http(s) members that have a user; never printed. */
  credentials?: Credentials;
  /** Present for ssh members given a key or passphrase; never printed. */
  sshSecrets?: SshSecrets;
}

export function resolveMember(
  spec: string,
  optionsInput: MemberOptionsInput = {},
  env: NodeJS.ProcessEnv = process.env,
): ResolvedMember {
  if (typeof spec !== "string") {
    throw new HcError("HC_BAD_SPEC", `a member spec is a string (a stats URL, a socket path, tcp://host:port or file:/path.csv), not ${typeof spec === "object" ? "an object" : typeof spec}.`);
  }
  const checked = checkMemberOptions(optionsInput);
  if ("problems" in checked) {
    throw new HcError("HC_BAD_SPEC", `${redactUrl(spec)}: invalid member options (${checked.problems.join("; ")}).`, {
      member: redactUrl(spec),
    });
  }
  const { username: optionUser, password: optionPassword, sshPrivateKey, sshPassphrase, ...options } = checked.options;
  const trimmed = spec.trim();
  const bad = (why: string): HcError =>
    new HcError("HC_BAD_SPEC", `${redactUrl(trimmed) || "(empty)"}: ${why}`, { member: redactUrl(trimmed) });

  if (trimmed === "") throw bad("a member spec is empty; give a stats URL, a socket path or tcp://host:port.");

  if (trimmed.startsWith("/") || trimmed.startsWith("unix:")) {
    const socketPath = trimmed.startsWith("unix:") ? trimmed.slice("unix:".length).replace(/^\/\/(?=\/)/, "") : trimmed;
    if (!path.isAbsolute(socketPath)) throw bad("a unix socket must be an absolute path, e.g. unix:/run/haproxy/admin.sock.");
    return { target: { kind: "unix", name: `unix:${socketPath}`, path: socketPath }, options };
  }
  if (trimmed.startsWith("file:")) {
    const filePath = trimmed.slice("file:".length).replace(/^\/\/(?=\/)/, "");
    if (filePath === "") throw bad("file: needs a path, e.g. file:/tmp/stats.csv.");
    return { target: { kind: "file", name: `file:${filePath}`, path: path.resolve(filePath) }, options };
  }

  let url: URL;
  try {
    url = new URL(trimmed);
  } catch {
    throw bad("not a member spec; use http(s)://host:port/stats, unix:/path.sock, /path.sock, tcp://host:port, ssh://[user@]host[:port]/path.sock or file:/path.csv.");
  }
  if (url.protocol === "tcp:") {
    const port = Number(url.port);
    if (!url.hostname || !port) throw bad("tcp members need a host and a port, e.g. tcp://127.0.0.1:9999.");
    const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
    return { target: { kind: "tcp", name: `tcp://${url.host}`, host, port }, options };
  }
  if (url.protocol === "ssh:") return resolveSsh(url, options, { privateKey: sshPrivateKey, passphrase: sshPassphrase }, env, bad);
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw bad(`unsupported scheme ${url.protocol}; use http, https, unix, tcp, ssh or file.`);
  }
  if (url.hash) throw bad("the stats URL must not carry a fragment; give the stats page address only.");

  // Credentials: explicit options first, then the URL, then the environment.
  const decode = (text: string, what: string): string =>
    percentDecoded(text, () => bad(`the ${what} in the URL is not valid percent-encoding (write % as %25); or give it in HAPROXY_CLUSTER_PASSWORD or a password file instead.`));
  const username = optionUser ?? (decode(url.username, "user") || env.HAPROXY_CLUSTER_USER || undefined);
  const password = optionPassword ?? (decode(url.password, "password") || env.HAPROXY_CLUSTER_PASSWORD || undefined);
  if (password !== undefined && username === undefined) {
    throw bad("a password was given without a user; set the user in the URL, in options or in HAPROXY_CLUSTER_USER.");
  }
  // `;csv` and friends are ours to add; a pasted `…/stats;csv` still names the page.
  // A query is kept: `stats uri /haproxy?stats` is a common configuration.
  const statsPath = (`${url.pathname}${url.search}`.split(";")[0] || "/").replace(/(.)\/+$/, "$1");
  const origin = `${url.protocol}//${url.host}`;
  const name = `${origin}${statsPath}`;
  const credentials = username !== undefined ? { username, password: password ?? "" } : undefined;
  return { target: { kind: "http", name, origin, statsPath }, options, credentials };
}

/**
 * `ssh://[user@]host[:port]/run/haproxy/admin.sock`: the Runtime API socket on the far
 * side of SSH. Settings left out come from the environment; secrets stay out of options.
 */
function resolveSsh(url: URL, options: TransportOptions, given: SshSecrets, env: NodeJS.ProcessEnv, bad: (why: string) => HcError): ResolvedMember {
  if (url.password) throw bad("an ssh member must not carry a password; use the SSH agent or a key file (--ssh-identity, HAPROXY_CLUSTER_SSH_IDENTITY).");
  if (url.search || url.hash) throw bad("an ssh member is ssh://[user@]host[:port]/path/to/admin.sock, with nothing after the path.");
  const malformed = () => bad("the URL is not valid percent-encoding (write % as %25).");
  const socketPath = percentDecoded(url.pathname, malformed);
  if (!url.hostname || socketPath === "/" || socketPath === "") throw bad("an ssh member needs a host and the socket's absolute path, e.g. ssh://haproxy@lb1/run/haproxy/admin.sock.");
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
  const port = url.port ? Number(url.port) : 22;
  const user = percentDecoded(url.username, malformed) || env.USER || env.LOGNAME || "root";
  const name = `ssh://${user}@${url.host}${socketPath}`;
  const passphraseFile = options.sshPassphraseFile ?? env.HAPROXY_CLUSTER_SSH_PASSPHRASE_FILE;
  let passphrase = given.passphrase ?? env.HAPROXY_CLUSTER_SSH_PASSPHRASE;
  if (passphrase === undefined && passphraseFile) {
    try {
      passphrase = fs.readFileSync(passphraseFile, "utf8").split("\n")[0];
    } catch (error) {
      throw bad(`cannot read the passphrase file ${passphraseFile} (${(error as NodeJS.ErrnoException).code ?? "error"}); check the path.`);
    }
  }
  const resolved: TransportOptions = {
    ...options,
    sshIdentityFile: options.sshIdentityFile ?? (env.HAPROXY_CLUSTER_SSH_IDENTITY || undefined),
    sshKnownHostsFile: options.sshKnownHostsFile ?? (env.HAPROXY_CLUSTER_SSH_KNOWN_HOSTS || undefined),
    sshJump: options.sshJump ?? (env.HAPROXY_CLUSTER_SSH_JUMP || undefined),
    sshAgent: options.sshAgent ?? (env.SSH_AUTH_SOCK || undefined),
  };
  const sshSecrets = given.privateKey !== undefined || passphrase !== undefined ? { privateKey: given.privateKey, passphrase } : undefined;
  return { target: { kind: "ssh", name, host, port, path: socketPath, user }, options: resolved, sshSecrets };
}

/** `text` percent-decoded, or the error `malformed` makes (decodeURIComponent throws a bare URIError). */
function percentDecoded(text: string, malformed: () => HcError): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw malformed();
  }
}
