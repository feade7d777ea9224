// The inputs every resource and function of this package takes to reach the cluster.

import * as pulumi from "@pulumi/pulumi";
import type { DEFAULTS } from "../policy";
import { SECRET_INPUTS } from "./impl/inputs";

export interface ClusterConnectionArgs {
  /**
   * The HAProxy members: stats page URLs (`http(s)://host:port/stats`, without a
   * password), Runtime API sockets (`unix:/path.sock`, `/path.sock`, `tcp://host:port`,
   * `ssh://[user@]host[:port]/path.sock`). A URL holding a password is refused: give it
   * in `password`.
   */
  members: pulumi.Input<pulumi.Input<string>[]>;
  /** Stats page user. Default: `HAPROXY_CLUSTER_USER` in the environment of `pulumi`. */
  username?: pulumi.Input<string>;
  /**
   * Stats page password, e.g. `config.requireSecret("statsPassword")`. Always stored as a
   * secret. Default: `HAPROXY_CLUSTER_PASSWORD` in the environment of `pulumi`.
   */
  password?: pulumi.Input<string>;
  /** Deadline of one request to one member, in seconds. Default {@link DEFAULTS.requestTimeoutSeconds}. */
  requestTimeoutSeconds?: pulumi.Input<number>;
  /** PEM CA certificate(s) trusted for https members. */
  caPem?: pulumi.Input<string>;
  /** Skip TLS certificate checks for https members (unsafe: the password can be read on the path). Default false. */
  dangerouslySkipTlsVerify?: pulumi.Input<boolean>;
  /**
   * ssh members: a private key (OpenSSH or PEM text), e.g. `config.requireSecret("sshKey")`.
   * Always stored as a secret. Default: the SSH agent and key file of the environment of
   * `pulumi` (`SSH_AUTH_SOCK`, `HAPROXY_CLUSTER_SSH_IDENTITY`).
   */
  sshPrivateKey?: pulumi.Input<string>;
  /** ssh members: the private key's passphrase. Always stored as a secret. Default: `HAPROXY_CLUSTER_SSH_PASSPHRASE`. */
  sshPassphrase?: pulumi.Input<string>;
  /** ssh members: known_hosts lines to verify host keys against. Default: ~/.ssh/known_hosts (or `HAPROXY_CLUSTER_SSH_KNOWN_HOSTS`). */
  sshKnownHosts?: pulumi.Input<string>;
  /** ssh members: a bastion, `[user@]host[:port]` (like ProxyJump). */
  sshJump?: pulumi.Input<string>;
  /**
   * Runtime API members: whether each socket is HAProxy's master CLI (`-S`); a wrong
   * value is refused by name. Default: detected from the socket's answers, at the cost
   * of one refused read per member.
   */
  masterSocket?: pulumi.Input<boolean>;
  /** ssh members: accept a host key known_hosts lacks (throwaway environments only; a changed key is refused anyway). Default false. */
  dangerouslyAcceptUnknownHostKey?: pulumi.Input<boolean>;
}

/** The connection inputs with the password and SSH key material wrapped as secrets. */
export function connectionProps(args: ClusterConnectionArgs): Record<string, unknown> {
  const props: Record<string, unknown> = { ...args };
  for (const key of SECRET_INPUTS) if (args[key] !== undefined) props[key] = pulumi.secret(args[key]);
  return props;
}

/** Resource options that keep the password and SSH key material encrypted in state, whatever the caller passed. */
export function withSecretPassword<T extends pulumi.CustomResourceOptions>(opts: T | undefined): T {
  return { ...(opts ?? ({} as T)), additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), ...SECRET_INPUTS] };
}
