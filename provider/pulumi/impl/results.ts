// Shapes shared by the provider implementations: the engine's property bags, diff
// results, and partial failures that keep an honest record in state.

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
