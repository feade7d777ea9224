// Cluster health as a stack output. It only reads, so it runs during preview too.

import * as pulumi from "@pulumi/pulumi";
import type { ClusterConnectionArgs } from "./connection";
import { readHealth, type ClusterHealth } from "./impl/health";

export interface ClusterHealthArgs extends ClusterConnectionArgs {
  /** Backends to report; default every backend that has servers. */
  backends?: pulumi.Input<pulumi.Input<string>[]>;
}

/**
 * Reads every member and returns, per member and backend, serving/total, percent,
 * rolling-restart safety, rate, backlog and each server's state. A member that cannot
 * be read is reported (`ok: false`, with the error) and makes `healthy` false.
 */
export function getClusterHealth(args: ClusterHealthArgs): pulumi.Output<ClusterHealth> {
  const health = pulumi.output(args).apply((a) => readHealthTolerant(a as unknown as Record<string, unknown>));
  // The password is an input, not part of the answer: the health itself is not secret.
  return pulumi.unsecret(health);
}

async function readHealthTolerant(args: Record<string, unknown>): Promise<ClusterHealth> {
  return readHealth(Object.fromEntries(Object.entries(args).filter(([, v]) => v !== undefined)));
}
