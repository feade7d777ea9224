// ServerDrain: while this resource exists, one server of a backend is out of rotation
// on every member. Deleting it puts the server back, on fresh health checks.

import * as pulumi from "@pulumi/pulumi";
import { connectionProps, withSecretPassword, type ClusterConnectionArgs } from "./connection";
import type { DrainArgs } from "./drain-args";
import { serverDrainProvider } from "./providers";

/** The drain's own inputs beside the connection and {@link DrainArgs} (how it is taken out and put back). */
export interface ServerDrainArgs extends ClusterConnectionArgs, DrainArgs {
  /** The backend holding the server. A change replaces the resource. */
  backend: pulumi.Input<string>;
  /** The server to take out. A change replaces the resource (the old one is put back first). */
  server: pulumi.Input<string>;
  /**
   * The way out when a member is gone for good (decommissioned, its address reused):
   * delete, update and refresh then drop a member that cannot be reached (unreachable
   * or timing out) from the record instead of failing, and name it in `abandonedOn`.
   * Set it with `pulumi up`, then destroy or refresh. Default false: an unreachable
   * member fails delete (the server may still be out there) and refresh keeps its record.
   */
  abandonUnreachableMembers?: pulumi.Input<boolean>;
  /**
   * `resource` (default): out for as long as the resource exists; delete puts it back.
   * `step`: one step of a rolling deploy; the gate after the deploy puts it back, delete
   * does nothing, and refresh does not report the server serving again as drift.
   */
  lifetime?: pulumi.Input<"resource" | "step">;
  /** Any values; a change replaces the resource, i.e. takes the server out again. */
  triggers?: pulumi.Input<unknown[]>;
}

export class ServerDrain extends pulumi.dynamic.Resource {
  /** Members on which the server is out of rotation. After `pulumi refresh`, where it really is. */
  declare readonly drainedOn: pulumi.Output<string[]>;
  /** Members that could not be changed, with the reason (a partial failure). */
  declare readonly failedOn: pulumi.Output<Record<string, string>>;
  /** When the server was taken out (ISO 8601). */
  declare readonly drainedAt: pulumi.Output<string>;
  /** ready / drain / maint per member, as last read. */
  declare readonly adminState: pulumi.Output<Record<string, string>>;
  /** Sessions left per member at the sessions deadline (`proceed` or `shutdown`). */
  declare readonly sessionsAtDeadline: pulumi.Output<Record<string, number> | undefined>;
  /** What was done at the sessions deadline (`onSessionsTimeout`), when it was reached. */
  declare readonly sessionsDeadlineAction: pulumi.Output<"proceed" | "shutdown" | undefined>;
  /** Members left out of the record because they could not be reached (`abandonUnreachableMembers`), with the reason: a warning. */
  declare readonly abandonedOn: pulumi.Output<Record<string, string> | undefined>;
  /** Members the last refresh could not read, with the reason; their `drainedOn` entry is the last known one. */
  declare readonly unreadableOn: pulumi.Output<Record<string, string> | undefined>;
  /** The backend, as given. */
  declare readonly backend: pulumi.Output<string>;
  /** The server, as given. */
  declare readonly server: pulumi.Output<string>;

  constructor(name: string, args: ServerDrainArgs, opts?: pulumi.CustomResourceOptions) {
    const props = {
      ...connectionProps(args),
      drainedOn: undefined,
      failedOn: undefined,
      drainedAt: undefined,
      adminState: undefined,
      sessionsAtDeadline: undefined,
      sessionsDeadlineAction: undefined,
      abandonedOn: undefined,
      unreadableOn: undefined,
    };
    super(serverDrainProvider, name, props, withSecretPassword(opts), "haproxy-cluster", "ServerDrain");
  }
}
