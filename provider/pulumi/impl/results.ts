// Shapes shared by the provider implementations: the engine's property bags, diff
// results, and partial failures that keep an honest record in state.

import type { Cluster } from "../../cluster/cluster";
import type { ClusterSnapshot } from "../../cluster/cluster-snapshot";
import { isUnreachable } from "../../error-codes";
import { HcError } from "../../errors";

export type ProviderProps = Record<string, unknown>;

export interface DiffResult {
  changes: boolean;
  replaces?: string[];
  deleteBeforeReplace?: boolean;
}

/** An Error the dynamic provider host turns into "created, but failed": the engine keeps `properties` in state. */
export interface PartialFailureError extends Error {
  id: string;
  properties: ProviderProps;
  reasons: string[];
}

export function partialFailure(id: string, outs: object, props: ProviderProps, cause: unknown): PartialFailureError {
  const message = cause instanceof Error ? cause.message : String(cause);
  const error = new Error(message) as PartialFailureError;
  error.id = id;
  // The host adds __provider only on success: without it the record could not be deleted later.
  // Not enumerable: the record holds the password (encrypted in state, as a secret output),
  // and util.inspect, console.error and JSON.stringify of the error must not print it.
  Object.defineProperty(error, "properties", {
    value: { ...(outs as ProviderProps), __provider: props.__provider },
    enumerable: false,
    writable: true,
    configurable: true,
  });
  error.reasons = [message];
  if (cause instanceof HcError) Object.assign(error, { code: cause.code });
  return error;
}

/** A refresh's read of every member, and which ones it could not reach. */
export interface RefreshRead {
  snap: ClusterSnapshot;
  /** The record's abandoned members, plus those unreachable now when `abandon` is set. */
  abandonedOn: Record<string, string>;
  /** Members unreachable now (not abandoned): they keep their last known record. */
  unreadableOn: Record<string, string>;
}

/**
 * `pulumi refresh`'s read of the backend on every member. A member that cannot be
 * reached keeps its last known record (or, when abandoned, leaves it); any other error
 * (a refused password, an unknown name) fails the refresh, naming `what`.
 */
export async function refreshRead(cluster: Cluster, backend: string, what: string, abandonedBefore: Record<string, string> | undefined, abandon: boolean): Promise<RefreshRead> {
  const snap = await cluster.snapshot({ backend });
  const abandonedOn: Record<string, string> = { ...(abandonedBefore ?? {}) };
  const unreadableOn: Record<string, string> = {};
  for (const [member, error] of snap.errors) {
    if (!isUnreachable(error.code)) throw new HcError(error.code, `cannot refresh ${what}: ${error.message}`, { member });
    (abandon ? abandonedOn : unreadableOn)[member] = error.message;
  }
  return { snap, abandonedOn, unreadableOn };
}

/** The values once each, in their first order. */
export function unique(values: string[]): string[] {
  return [...new Set(values)];
}
