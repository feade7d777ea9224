// What an SSH login offers (the agent, a key file or key text, its passphrase), read and
// decrypted once per process, and how messages name it: never the key itself.

import { createHmac, randomBytes } from "node:crypto";
import * as fs from "node:fs";
import type { AgentAuthMethod, ParsedKey, PublicKeyAuthMethod } from "ssh2";
import { HcError } from "../../errors";
import type { SshSecrets, TransportOptions } from "../../member/spec";

// Loaded here, and this module only on first use of an ssh member (see ../index.ts).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const ssh2 = require("ssh2") as typeof import("ssh2");

export interface SshAuth {
  /** The agent's socket path, which messages can name. */
  agent?: string;
  /** The private key, decrypted. */
  key?: ParsedKey;
}

/**
 * Keys decrypted so far, by a keyed hash of key and passphrase. Decrypting an OpenSSH key
 * (bcrypt) takes one to two seconds of JavaScript on one thread: once per member, or
 * again inside ssh2 on every connection, 20 members would spend most of a deadline on it.
 */
const decrypted = new Map<string, ParsedKey>();
/** Keys the map's hashes: they mean nothing outside this process. */
const hashKey = randomBytes(32);

/** The agent and the key; the key is checked here so a wrong passphrase is named as such. */
export function readAuthentication(member: string, options: TransportOptions, secrets: SshSecrets | undefined): SshAuth {
  const agent = options.sshAgent || undefined;
  let privateKey: Buffer | undefined;
  if (secrets?.privateKey !== undefined) privateKey = Buffer.from(secrets.privateKey);
  else if (options.sshIdentityFile) {
    try {
      privateKey = fs.readFileSync(options.sshIdentityFile);
    } catch (error) {
      throw new HcError("HC_BAD_SPEC", `${member}: cannot read the SSH key file ${options.sshIdentityFile} (${(error as NodeJS.ErrnoException).code ?? "error"}); check the path (--ssh-identity, HAPROXY_CLUSTER_SSH_IDENTITY).`, { member });
    }
  }
  if (!agent && !privateKey) {
    throw new HcError("HC_BAD_SPEC", `${member}: no SSH key to log in with; start an SSH agent (SSH_AUTH_SOCK) or give a key file (--ssh-identity, HAPROXY_CLUSTER_SSH_IDENTITY).`, { member });
  }
  if (!privateKey) return { agent };
  const passphrase = secrets?.passphrase;
  const id = createHmac("sha256", hashKey).update(privateKey).update("\0").update(passphrase ?? "").digest("base64");
  let key = decrypted.get(id);
  if (!key) {
    const parsed = ssh2.utils.parseKey(privateKey, passphrase);
    if (parsed instanceof Error) {
      const which = secrets?.privateKey !== undefined ? "the given SSH private key" : `the SSH key file ${options.sshIdentityFile}`;
      const why = /passphrase|decrypt|encrypted/i.test(parsed.message)
        ? passphrase === undefined
          ? "is encrypted and no passphrase was given; set HAPROXY_CLUSTER_SSH_PASSPHRASE or HAPROXY_CLUSTER_SSH_PASSPHRASE_FILE"
          : "could not be decrypted with the passphrase given; check the passphrase"
        : "is not a private key ssh2 can read; give an OpenSSH or PEM private key";
      throw new HcError("HC_BAD_SPEC", `${member}: ${which} ${why}.`, { member });
    }
    // A file holding several keys parses as a list: ssh2 itself uses the first.
    key = Array.isArray(parsed) ? (parsed as ParsedKey[])[0]! : parsed;
    decrypted.set(id, key);
  }
  return { agent, key };
}

/** The login methods in ssh2's terms, the key first (as ssh2 orders them), then the agent. */
export function authMethods(user: string, auth: SshAuth): Array<PublicKeyAuthMethod | AgentAuthMethod> {
  const methods: Array<PublicKeyAuthMethod | AgentAuthMethod> = [];
  if (auth.key) methods.push({ type: "publickey", username: user, key: auth.key });
  if (auth.agent) methods.push({ type: "agent", username: user, agent: auth.agent });
  return methods;
}

/** The keys a login offered, as a refusal names them. */
export function describeKeys(options: TransportOptions, secrets: SshSecrets | undefined): string {
  const keys = [];
  if (options.sshAgent) keys.push("the SSH agent");
  if (secrets?.privateKey) keys.push("the given private key");
  else if (options.sshIdentityFile) keys.push(`key file ${options.sshIdentityFile}`);
  return keys.join(", ") || "none";
}

/**
 * Why the agent socket could not be used. ssh2 says only "Failed to connect to agent";
 * the two common causes need different words: no socket at all (SSH_AUTH_SOCK from
 * another machine or session), or a socket file nobody listens on (the agent ended, as
 * inside a tmux or screen session that outlived the login that started it).
 */
export function agentProblem(socketPath: string): string {
  let isSocket: boolean;
  try {
    isSocket = fs.statSync(socketPath).isSocket();
  } catch {
    return `the SSH agent socket ${socketPath} does not exist`;
  }
  if (!isSocket) return `${socketPath}, given as the SSH agent socket, is not a socket`;
  return `nothing listens on the SSH agent socket ${socketPath} (a stale socket, as tmux or screen keep after the agent ended)`;
}
