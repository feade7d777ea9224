// What an SSH login offers (the agent, a key file or key text, its passphrase), read and
// checked once per member per process, and how messages name it: never the key itself.

import * as fs from "node:fs";
import type { ConnectConfig } from "ssh2";
import { HcError } from "../../errors";
import type { SshSecrets, TransportOptions } from "../../member/spec";

// Loaded here, and this module only on first use of an ssh member (see ../index.ts).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const ssh2 = require("ssh2") as typeof import("ssh2");

/** As ssh2 takes it; the agent only as a socket path, which messages can name. */
export type SshAuth = Pick<ConnectConfig, "privateKey" | "passphrase"> & { agent?: string };

/** The agent and a key, as ssh2 takes them; the key is checked here so a wrong passphrase is named as such. */
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
  const passphrase = secrets?.passphrase;
  if (privateKey) {
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
  }
  return { agent, privateKey, passphrase };
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
