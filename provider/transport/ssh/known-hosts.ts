// Host key verification as OpenSSH does it: known_hosts lines, hashed names
// (`|1|base64(salt)|base64(HMAC-SHA1(salt, name))`), `[host]:port` for ports other than
// 22, wildcards and negations, `@revoked`. An unknown key is never accepted silently.

import { createHash, createHmac } from "node:crypto";

export interface KnownKey {
  keyType: string;
  /** The key in SSH wire format, base64, as known_hosts stores it. */
  keyBase64: string;
  revoked: boolean;
}

export type HostKeyVerdict = { kind: "trusted" } | { kind: "unknown" } | { kind: "changed" } | { kind: "revoked" };

/** The name known_hosts files use for a host and port. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** OpenSSH's fingerprint of a key in wire format: `SHA256:` and unpadded base64. */
export function fingerprint(key: Buffer): string {
  return `SHA256:${createHash("sha256").update(key).digest("base64").replace(/=+$/, "")}`;
}

/** The keys known_hosts text lists for `name` (e.g. `lb1` or `[lb1]:2222`). */
export function keysFor(text: string, name: string): KnownKey[] {
  const keys: KnownKey[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    let fields = line.split(/\s+/);
    let revoked = false;
    if (fields[0]!.startsWith("@")) {
      if (fields[0] === "@revoked") revoked = true;
      else continue; // @cert-authority: certificates are not supported, so such a line vouches for nothing here.
      fields = fields.slice(1);
    }
    const [patterns, keyType, keyBase64] = fields;
    if (!patterns || !keyType || !keyBase64) continue;
    if (matchesPatterns(patterns, name)) keys.push({ keyType, keyBase64, revoked });
  }
  return keys;
}

/** Compares the key a server showed with what known_hosts says about it. */
export function verifyHostKey(known: readonly KnownKey[], key: Buffer): HostKeyVerdict {
  const shown = key.toString("base64");
  if (known.some((k) => k.revoked && k.keyBase64 === shown)) return { kind: "revoked" };
  if (known.some((k) => !k.revoked && k.keyBase64 === shown)) return { kind: "trusted" };
  return known.some((k) => !k.revoked) ? { kind: "changed" } : { kind: "unknown" };
}

function matchesPatterns(patterns: string, name: string): boolean {
  if (patterns.startsWith("|1|")) return matchesHashed(patterns, name);
  let matched = false;
  for (const pattern of patterns.split(",")) {
    const negated = pattern.startsWith("!");
    const body = negated ? pattern.slice(1) : pattern;
    if (!globMatches(body, name)) continue;
    if (negated) return false;
    matched = true;
  }
  return matched;
}

function matchesHashed(entry: string, name: string): boolean {
  const [, , salt, hash] = entry.split("|");
  if (!salt || !hash) return false;
  const mac = createHmac("sha1", Buffer.from(salt, "base64")).update(name).digest("base64");
  return mac === hash;
}

function globMatches(pattern: string, name: string): boolean {
  const regex = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")}$`, "i");
  return regex.test(name);
}
