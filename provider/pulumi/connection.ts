// The inputs every resource and function of this package takes to reach the cluster.

import * as pulumi from "@pulumi/pulumi";

export interface ClusterConnectionArgs {
  /**
   * The HAProxy members: stats page URLs (`http(s)://host:port/stats`, without a
   * password), Runtime API sockets (`unix:/path.sock`, `/path.sock`, `tcp://host:port`).
   * A URL holding a password is refused: give it in `password`.
   */
  members: pulumi.Input<pulumi.Input<string>[]>;
  /** Stats page user. Default: `HAPROXY_CLUSTER_USER` in the environment of `pulumi`. */
  username?: pulumi.Input<string>;
  /**
   * Stats page password, e.g. `config.requireSecret("statsPassword")`. Always stored as a
   * secret. Default: `HAPROXY_CLUSTER_PASSWORD` in the environment of `pulumi`.
   */
  password?: pulumi.Input<string>;
  /** Deadline of one request to one member, in seconds. Default 5. */
  requestTimeoutSeconds?: pulumi.Input<number>;
  /** PEM CA certificate(s) trusted for https members. */
  caPem?: pulumi.Input<string>;
  /** Skip TLS certificate checks for https members (unsafe: the password can be read on the path). Default false. */
  dangerouslySkipTlsVerify?: pulumi.Input<boolean>;
}

/** The connection inputs with the password wrapped as a secret. */
export function connectionProps(args: ClusterConnectionArgs): Record<string, unknown> {
  return { ...args, password: args.password === undefined ? undefined : pulumi.secret(args.password) };
}

/** Resource options that keep the password encrypted in state, whatever the caller passed. */
export function withSecretPassword<T extends pulumi.CustomResourceOptions>(opts: T | undefined): T {
  return { ...(opts ?? ({} as T)), additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), "password"] };
}
