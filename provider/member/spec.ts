// A member is one HAProxy, named by its whole spec (never by host alone: two HAProxy
// instances on one host are two members). This module turns a spec string and
// options into a validated, credential-free description of how to reach it.

import * as path from "node:path";
import { z } from "zod";
import { HcError } from "../errors";

export type MemberKind = "http" | "unix" | "tcp" | "file";

/** How to reach one HAProxy. Holds no secret in any printable field. */
export interface MemberTarget {
  kind: MemberKind;
  /** The spec with credentials removed: the member's name in every result and message. */
  name: string;
  /** http(s): origin, e.g. `https://lb1:8443`. */
  origin?: string;
  /** http(s): the stats page path, e.g. `/stats` (no `;csv`). */
  statsPath?: string;
  /** unix: socket path; file: CSV path. */
  path?: string;
  /** tcp: host and port of the Runtime API. */
  host?: string;
  port?: number;
}

/** Options for one member, or for all members of a cluster. Validated with zod. */
export const memberOptionsSchema = z
  .object({
    /** Stats page user. Default: from the URL, else `HAPROXY_CLUSTER_USER`. */
    username: z.string().optional(),
    /** Stats page password. Default: from the URL, else `HAPROXY_CLUSTER_PASSWORD`. */
    password: z.string().optional(),
    /** Deadline for one request: connect, headers and whole body. Default 5 s. */
    timeoutSeconds: z.number().positive().max(3600).default(5),
    /** Largest answer accepted, in bytes. Default 64 MiB (10,000 servers are about 5 MiB). */
    maxResponseBytes: z.number().int().positive().default(64 * 1024 * 1024),
    /** PEM CA certificate(s) to trust for https members, in addition to none (replaces the system store). */
    caPem: z.string().optional(),
    /** Path of a PEM CA file, read once; an alternative to `caPem`. */
    caFile: z.string().optional(),
    /**
     * Skip TLS certificate verification for https members. Named loudly on purpose:
     * anyone on the path can then read the stats password and change servers.
     */
    dangerouslySkipTlsVerify: z.boolean().default(false),
  })
  .strict();

export type MemberOptionsInput = z.input<typeof memberOptionsSchema>;
export type MemberOptions = z.output<typeof memberOptionsSchema>;

export interface Credentials {
  username: string;
  password: string;
}

/** Member options once credentials have been taken out of them (they travel apart). */
export type TransportOptions = Omit<MemberOptions, "username" | "password">;

export interface ResolvedMember {
  target: MemberTarget;
  options: TransportOptions;
  /** Present for http(s) members that have a user; never printed. */
  credentials?: Credentials;
}

/** Removes credentials from anything that looks like a URL with userinfo. */
export function redactUrl(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)([^/@\s]*)@/gi, (_m, scheme: string, userinfo: string) => {
    const user = userinfo.split(":")[0];
    return user ? `${scheme}${user}:***@` : `${scheme}`;
  });
}

export function resolveMember(
  spec: string,
  optionsInput: MemberOptionsInput = {},
  env: NodeJS.ProcessEnv = process.env,
): ResolvedMember {
  const parsed = memberOptionsSchema.safeParse(optionsInput);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join(".") || "options"}: ${i.message}`).join("; ");
    throw new HcError("HC_BAD_SPEC", `${redactUrl(spec)}: invalid member options (${issues}).`, {
      member: redactUrl(spec),
    });
  }
  const { username: optionUser, password: optionPassword, ...options } = parsed.data;
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
    throw bad("not a member spec; use http(s)://host:port/stats, unix:/path.sock, /path.sock, tcp://host:port or file:/path.csv.");
  }
  if (url.protocol === "tcp:") {
    const port = Number(url.port);
    if (!url.hostname || !port) throw bad("tcp members need a host and a port, e.g. tcp://127.0.0.1:9999.");
    const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
    return { target: { kind: "tcp", name: `tcp://${url.host}`, host, port }, options };
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw bad(`unsupported scheme ${url.protocol}; use http, https, unix, tcp or file.`);
  }
  if (url.hash) throw bad("the stats URL must not carry a fragment; give the stats page address only.");

  // Credentials: explicit options first, then the URL, then the environment.
  const username = optionUser ?? (decodeURIComponent(url.username) || env.HAPROXY_CLUSTER_USER || undefined);
  const password = optionPassword ?? (decodeURIComponent(url.password) || env.HAPROXY_CLUSTER_PASSWORD || undefined);
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
