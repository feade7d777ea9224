// BackendServer: while this resource exists, a server added at run time is in a backend on
// every member. Create returns once it serves on fresh health checks; delete drains it
// behind the capacity guard and removes it; a replacement (an address change) adds the
// new server, serving, before the old one leaves.

import * as pulumi from "@pulumi/pulumi";
import type { DEFAULTS, LIMITS } from "../policy";
import { connectionProps, withSecretPassword, type ClusterConnectionArgs } from "./connection";
import { namePrefixOf } from "./impl/inputs";
import { backendServerProvider } from "./providers";

export interface BackendServerArgs extends ClusterConnectionArgs {
  /** The backend the server is added to. A change replaces the resource. */
  backend: pulumi.Input<string>;
  /**
   * The server's name in HAProxy. Default: `namePrefix`, a dash and 8 random hex digits,
   * new at every replacement, so that the new server can be added and serving before the
   * old one is removed. A name given here is kept by a replacement, which then fails
   * (HAProxy holds one server of a name per backend): leave it out for servers that are
   * replaced. A change replaces the resource.
   */
  server?: pulumi.Input<string>;
  /** The start of the generated name when `server` is left out. Default: this resource's name. A change replaces the resource. */
  namePrefix?: pulumi.Input<string>;
  /** Where the server listens, `HOST:PORT` (or `[IPv6]:PORT`). A change replaces the resource: the new server serves before the old one leaves. */
  address: pulumi.Input<string>;
  /**
   * Health-check interval of the added server, in milliseconds (rise and fall are copied
   * from a checked server of the backend, or HAProxy's defaults {@link DEFAULTS.addedServerRise} and {@link DEFAULTS.addedServerFall} when none is checked). Default {@link DEFAULTS.addedServerCheckIntervalMs}.
   * A change replaces the resource.
   */
  checkIntervalMs?: pulumi.Input<number>;
  /** Weight (0 to {@link LIMITS.maxWeight}). Default: the configured weight of the backend's first server with one above 0, else 1. A change replaces the resource. */
  weight?: pulumi.Input<number>;
  /**
   * Create and update: deadline for the server to be serving on fresh health checks on
   * every member, in seconds; past it `pulumi up` fails, the state records where it was
   * added, and the next `up` waits again. Default {@link DEFAULTS.actionTimeoutSeconds}.
   */
  readyTimeoutSeconds?: pulumi.Input<number>;
  /** Delete: deadline for the drained server's sessions and queue to reach 0, in seconds. Default {@link DEFAULTS.sessionsTimeoutSeconds}. */
  sessionsTimeoutSeconds?: pulumi.Input<number>;
  /**
   * Delete: what happens at the sessions deadline: `fail` (the delete fails; the server
   * stays drained and in state), `proceed` (remove it anyway), or `shutdown` (kill the
   * remaining sessions, then remove it). Default `fail`.
   */
  onSessionsTimeout?: pulumi.Input<"fail" | "proceed" | "shutdown">;
  /** Delete: deadline of the removal on each member, in seconds. Default {@link DEFAULTS.actionTimeoutSeconds}. */
  removeTimeoutSeconds?: pulumi.Input<number>;
  /**
   * Delete: the capacity guard: refuse to remove the server unless at least this many
   * OTHER servers of the backend keep serving on every member, a member that already lost
   * it (a reload) included. Default {@link DEFAULTS.minOtherServing}.
   */
  minOtherServing?: pulumi.Input<number>;
  /** Delete: skip the capacity guard. Default false. */
  force?: pulumi.Input<boolean>;
  /**
   * The way out when a member is gone for good: delete, update and refresh then leave out
   * a member that cannot be reached instead of failing, and name it in `abandonedOn`.
   * Default false.
   */
  abandonUnreachableMembers?: pulumi.Input<boolean>;
  /** Any values; a change replaces the resource: a new server (a new generated name) is added, then the old one removed. */
  triggers?: pulumi.Input<unknown[]>;
}

export class BackendServer extends pulumi.dynamic.Resource {
  /** The server's name in HAProxy (given, or generated). */
  declare readonly server: pulumi.Output<string>;
  /** Members holding the server. After `pulumi refresh`, where it really is. */
  declare readonly addedOn: pulumi.Output<string[]>;
  /** Members that could not be changed, or where it did not serve by the deadline, with the reason. */
  declare readonly failedOn: pulumi.Output<Record<string, string>>;
  /** When the server was added (ISO 8601). */
  declare readonly addedAt: pulumi.Output<string>;
  /** The `add server` settings after the address, as sent (`check inter 2000 rise 2 fall 3 weight 1`). */
  declare readonly settings: pulumi.Output<string>;
  /** HAProxy's status per member at the last read (`UP`, `DOWN`, `MAINT`…). */
  declare readonly status: pulumi.Output<Record<string, string>>;
  /** Members left out of the record because they could not be reached (`abandonUnreachableMembers`), with the reason. */
  declare readonly abandonedOn: pulumi.Output<Record<string, string> | undefined>;
  /** Members the last refresh could not read, with the reason; their `addedOn` entry is the last known one. */
  declare readonly unreadableOn: pulumi.Output<Record<string, string> | undefined>;
  /** The backend, as given. */
  declare readonly backend: pulumi.Output<string>;
  /** The address, as given. */
  declare readonly address: pulumi.Output<string>;

  constructor(name: string, args: BackendServerArgs, opts?: pulumi.CustomResourceOptions) {
    const props = {
      ...connectionProps(args),
      server: args.server,
      namePrefix: args.namePrefix ?? namePrefixOf(name),
      addedOn: undefined,
      failedOn: undefined,
      addedAt: undefined,
      settings: undefined,
      status: undefined,
      abandonedOn: undefined,
      unreadableOn: undefined,
    };
    super(backendServerProvider, name, props, withSecretPassword(opts), "haproxy-cluster", "BackendServer");
  }
}
