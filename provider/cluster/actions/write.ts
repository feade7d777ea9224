// The write, the pipeline's third step: the action applied on one member, each call
// that may write counted (a failure after one began is read again, not guessed at).
//
// Putting servers back on fresh evidence is the one sequence for `ready`/`enable` and for
// a hold that finds a reload undid it. HAProxy keeps its old UP verdict when a restart is
// shorter than `fall` × `inter`, so a plain `state ready` would send traffic to an app
// still warming up: a server with health checks has its verdict forced down first, and
// serves again only after `rise` checks made afterwards. Servers without health checks
// are never forced down: nothing would bring them back.

import type { ActionName } from "../../action-table";
import { isRequestError } from "../../error-codes";
import type { HcError } from "../../errors";
import type { Member } from "../../model/member";
import type { Snapshot } from "../../model/snapshot";
import type { Weight } from "../../transport/types";

/** One backend's servers on the member written to (a plan's target, without the member). */
export interface MemberTarget {
  backend: string;
  servers: readonly string[];
}

/** Calls that may have written on a member, counted before each starts. */
export interface WriteCount {
  started: number;
}

/**
 * Applies `action` to this member's targets from `before` (its read in the plan).
 * Returns the servers whose health verdict was forced down (`ready`, `enable`).
 */
export async function writeOnMember(member: Member, mine: readonly MemberTarget[], action: ActionName, weight: Weight | undefined, before: Snapshot, writes: WriteCount): Promise<string[]> {
  const write = <T>(call: () => Promise<T>): Promise<T> => {
    writes.started++;
    return call();
  };
  const forced: string[] = [];
  for (const { backend, servers } of mine) {
    switch (action) {
      case "weight":
        await write(() => member.setWeight(backend, servers, weight!, before));
        break;
      case "shutdown-sessions":
        await write(() => member.shutdownSessions(backend, servers, before));
        break;
      case "ready":
      case "enable":
        forced.push(...(await backOnFreshChecks(member, backend, servers, before, { evenIfReady: false, write })));
        break;
      default:
        await write(() => member.setState(backend, servers, action, before));
    }
  }
  return forced;
}

/** Errors raised before a connection was made: nothing reached HAProxy. */
const NEVER_CONNECTED = new Set(["ECONNREFUSED", "ENOENT", "ENOTFOUND", "EAI_AGAIN", "EACCES", "EHOSTUNREACH", "EAGAIN"]);

/**
 * Whether a failed write may have changed the member (HAProxy may have applied it and the
 * reply been lost): a refused request (unknown name, read-only member) changed nothing.
 */
export function mayHaveWritten(writes: WriteCount, error: HcError): boolean {
  return writes.started > 0 && !isRequestError(error.code);
}

/** True when the only write failed before connecting: the member surely did not change. */
export function nothingSent(writes: WriteCount, error: HcError): boolean {
  return writes.started === 1 && NEVER_CONNECTED.has(String(error.details.errno ?? ""));
}

export interface FreshChecksOptions {
  /**
   * Force the verdict down even on servers that are ready already: after a reload the
   * configuration put them back in rotation on a verdict no fresh check made.
   */
  evenIfReady: boolean;
  /** Wraps each call that may write (to count writes begun); default: calls it. */
  write?: <T>(call: () => Promise<T>) => Promise<T>;
}

/**
 * Brings `names` of `backend` back on fresh checks on one member, from `read` (a snapshot
 * of that backend just taken: names are checked against it). Returns the servers whose
 * verdict was forced down.
 */
export async function backOnFreshChecks(member: Member, backend: string, names: readonly string[], read: Snapshot, options: FreshChecksOptions): Promise<string[]> {
  const write = options.write ?? (<T>(call: () => Promise<T>) => call());
  let snap = read;
  // Every live worker's view: old workers after a reload have their own states.
  const views = (taken: Snapshot) => [taken, ...taken.oldWorkers].map((v) => v.backend(backend));
  let bes = views(snap);
  const checked = (n: string) => bes.some((be) => be.server(n).hasHealthCheck);
  // Servers back in rotation by a reload: only those with checks need anything.
  const mine = options.evenIfReady ? names.filter(checked) : [...names];
  if (mine.length === 0) return [];
  // Leaving maint, HAProxy resets health to `rise` ("start OK but check immediately",
  // src/server.c) and serves at once, undoing a forced-down verdict; in maint the CSV
  // also hides the checks. Step through drain (no new traffic) and force down there;
  // a server a reload put back in rotation is drained too, so nothing reaches it meanwhile.
  const inMaint = mine.filter((n) => bes.some((be) => be.server(n).admin === "maint"));
  const toDrain = options.evenIfReady ? mine : inMaint;
  if (toDrain.length > 0) {
    await write(() => member.drain(backend, toDrain, snap));
    if (inMaint.length > 0) {
      snap = await member.snapshot({ backend });
      bes = views(snap);
    }
  }
  // Over the stats page a drained server that is down reads as ready (adminStateKnown
  // false); forcing a down server down is harmless, so treat "unknown" as "not ready".
  const toForce = mine.filter((n) =>
    bes.some((be) => {
      const s = be.server(n);
      return s.hasHealthCheck && (options.evenIfReady || s.admin !== "ready" || !s.adminStateKnown);
    }),
  );
  if (toForce.length > 0) await write(() => member.forceHealthDown(backend, toForce, snap));
  await write(() => member.ready(backend, mine, snap));
  return toForce;
}
