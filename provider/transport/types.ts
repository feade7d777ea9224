// What every way of reaching an HAProxy offers: read statistics, change servers.
// The model and the framework above speak only this interface.

import type { HcError } from "../errors";
import { isWeight, WEIGHT_RULE, type Weight } from "../input-rules";
import type { StatsTable } from "../stats/csv";

export type StatsRowType = "frontend" | "backend" | "server";

/** Narrows what HAProxy is asked for, so a 10,000-server member sends only what is needed. */
export interface StatsQuery {
  /** One proxy (backend or frontend) by name. */
  proxy?: string;
  /** Row types wanted; default all. */
  types?: readonly StatsRowType[];
}

/**
 * Admin-state and health changes, named as HAProxy's Runtime API names them.
 * `health-down` forces the health verdict to down so that only checks made after it
 * can bring the server back (see "Putting a server back uses fresh checks" in docs/safety.md).
 */
/** A change to servers: their admin/health state (and sessions), or their weight. */
export type ChangeKind = "state" | "weight";

export type ServerStateAction = "ready" | "drain" | "maint" | "health-down" | "shutdown-sessions";

export type { Weight };

export interface Transport {
  /** The member's name (its spec, credentials redacted). */
  readonly member: string;
  /** False for members that can only be read (saved CSV files). */
  readonly writable: boolean;
  readStats(query?: StatsQuery): Promise<StatsTable>;
  /** Applies the action to each named server of one backend; throws an HcError unless HAProxy confirms all. */
  act(backend: string, servers: readonly string[], action: ServerStateAction): Promise<void>;
  setWeight(backend: string, servers: readonly string[], weight: Weight): Promise<void>;
  /** Frees pooled connections. */
  close(): Promise<void>;

  // Optional capabilities: the model asks whether a transport has them, never what class it is.

  /**
   * The refusal this transport gives a change of this kind without asking HAProxy (a
   * stats page sets no weights; a saved file takes no change), so that an action can be
   * refused on every member before any member changes; undefined when it can make it.
   */
  refusal?(change: ChangeKind, backend: string): HcError | undefined;

  /**
   * Optional capability: which HAProxy process is answering (a reload replaces it).
   * Over the Runtime API from `show info`; over the stats page from its HTML header.
   */
  readProcess?(): Promise<ProcessIdentity>;

  /**
   * Optional capability: the statistics, and as asked the admin states and the process
   * identity, in one round trip (the Runtime API chains commands on one connection).
   */
  readFolded?(query: StatsQuery, wants: FoldedReadWants): Promise<FoldedRead>;

  /** `backend/server` → HAProxy's admin bit mask (`show servers state`): exact drain/maint even when down. */
  readAdminStates?(backend?: string): Promise<Map<string, number>>;
  /** Sends one raw Runtime API command to the worker that serves (the current one behind a master socket) and returns the reply. */
  command?(line: string): Promise<string>;
  /** Master sockets: the live workers other than the current one (old workers after a reload). */
  oldWorkers?(): Promise<WorkerView[]>;
}

/** What a folded read asks for beside the statistics. */
export interface FoldedReadWants {
  adminStates: boolean;
  process: boolean;
}

/** The answers of a folded read; `process` is undefined when it was not asked or could not be told. */
export interface FoldedRead {
  table: StatsTable;
  adminStates?: Map<string, number>;
  process?: ProcessIdentity;
}

/** One worker of a master-worker HAProxy, read through the master CLI (`@!PID`). */
export interface WorkerView {
  pid: number;
  /** Reloads it has lived through (0 is the current worker). */
  reloads: number;
  /** Undefined when the worker left since `show proc` listed it. */
  readStats(query?: StatsQuery): Promise<StatsTable | undefined>;
  readAdminStates(backend?: string): Promise<Map<string, number> | undefined>;
}


/** The HAProxy process that answered a read: a reload or restart gives a new one. */
export interface ProcessIdentity {
  /** The answering process's PID (the worker's, in master-worker mode). */
  pid: number;
  /** How long it has run, in seconds, when it answered. */
  uptimeSeconds: number;
  /**
   * When it started, Unix seconds: `Start_time_sec` over the Runtime API; derived from
   * the uptime over the stats page (so it may move by a second between reads).
   */
  startedAtSeconds: number;
  /**
   * The node name HAProxy reports (`node` in `show info`: the host name unless the
   * configuration sets one); absent over the stats page, whose header does not say it.
   */
  node?: string;
}

export function typeMask(types: readonly StatsRowType[] | undefined): number {
  if (!types || types.length === 0) return -1;
  let mask = 0;
  for (const t of types) mask |= t === "frontend" ? 1 : t === "backend" ? 2 : 4;
  return mask;
}

/** The weight as the Runtime API takes it; a RangeError (a spec error naming the member, errors.ts) when it is none. */
export function formatWeight(weight: Weight): string {
  if (!isWeight(weight)) throw new RangeError(`a weight is ${WEIGHT_RULE}, not ${JSON.stringify(weight)}`);
  return String(weight);
}
