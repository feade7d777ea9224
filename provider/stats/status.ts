// Reads a server's `status` cell by exact value, never by substring: `UP 1/3` is a server
// about to go down, not "UP", and a value we do not recognise must never count as serving.
//
// The values are those HAProxy prints (src/stats.c srv_hlt_st[] and the MAINT branches
// before it, 1.6 to 3.x; src/dumpstats.c in 1.4/1.5):
//   MAINT (resolution) | MAINT (via px/sv) | MAINT            admin maintenance wins over all
//   DRAIN (agent) | DRAIN x/y | DRAIN                         admin drain while running
//   UP x/y | UP | NOLB x/y | NOLB | no check                  running
//   DOWN (agent) | DOWN x/y | DOWN                            stopped
//   MAINT(via)                                                1.4/1.5 spelling, no names
// For x/y HAProxy prints, while running, (health - rise + 1)/fall: how many more failed
// checks it takes to go down, out of `fall`; while stopped, health/rise: successful checks
// so far out of `rise` needed to come up.

/** What an operator or the configuration asked for. */
export type AdminState = "ready" | "drain" | "maint";

/** What the checks say. `no check`: no health check configured, the server counts as up. */
export type HealthState = "up" | "down" | "nolb" | "no check";

export interface ServerStatus {
  /** The cell exactly as HAProxy wrote it. */
  raw: string;
  /** ready unless drained or in maintenance; 'ready' for an unrecognised value. */
  admin: AdminState;
  /** Health as the checks see it; 'down' in maintenance (HAProxy stops such a server) and for an unrecognised value. */
  health: HealthState;
  /** True when the status carries an x/y suffix: checks are moving the server up or down. */
  transitioning: boolean;
  /** The x of an x/y suffix: while stopped (DOWN x/y) checks passed so far; while running (UP/NOLB/DRAIN x/y) failed checks still tolerated before going down. */
  checksPassed?: number;
  /** The y of an x/y suffix: `rise` while stopped, `fall` while running. */
  checksNeeded?: number;
  /** `proxy/server` whose maintenance this server inherits (MAINT (via px/sv)); absent in the 1.4/1.5 `MAINT(via)` form. */
  via?: string;
  /**
   * Where a DOWN/DRAIN/MAINT comes from when the status says so: 'agent' (agent check),
   * 'resolution' (DNS), 'via' (tracked server). Plain MAINT does not say whether the
   * configuration (`disabled`) or an operator set it, so this parser never sets 'config';
   * `show servers state` (srv_admin_state bit 0x04) can.
   */
  source?: "agent" | "resolution" | "via" | "config";
  /** False for a value this table does not recognise (then admin 'ready', health 'down': fail closed). */
  known: boolean;
}

type Meaning = Omit<ServerStatus, "raw" | "checksPassed" | "checksNeeded" | "via">;

// Values without a variable part.
const EXACT: Readonly<Record<string, Meaning>> = {
  UP: { admin: "ready", health: "up", transitioning: false, known: true },
  DOWN: { admin: "ready", health: "down", transitioning: false, known: true },
  "DOWN (agent)": { admin: "ready", health: "down", transitioning: false, source: "agent", known: true },
  NOLB: { admin: "ready", health: "nolb", transitioning: false, known: true },
  DRAIN: { admin: "drain", health: "up", transitioning: false, known: true },
  "DRAIN (agent)": { admin: "drain", health: "up", transitioning: false, source: "agent", known: true },
  MAINT: { admin: "maint", health: "down", transitioning: false, known: true },
  "MAINT (resolution)": { admin: "maint", health: "down", transitioning: false, source: "resolution", known: true },
  "MAINT(via)": { admin: "maint", health: "down", transitioning: false, source: "via", known: true },
  "no check": { admin: "ready", health: "no check", transitioning: false, known: true },
  // Not listed on purpose: `NO CHECK` (DataDog's mock data; HAProxy never prints it) and
  // `MAINT(resolution)` (appears in docs and exporters, never in HAProxy's output). Both
  // stay unknown, hence not serving, rather than guessed.
};

// `WORD x/y`: the word gives the meaning, the suffix marks a transition.
const WITH_COUNTS: Readonly<Record<string, Meaning>> = {
  UP: { admin: "ready", health: "up", transitioning: true, known: true },
  DOWN: { admin: "ready", health: "down", transitioning: true, known: true },
  NOLB: { admin: "ready", health: "nolb", transitioning: true, known: true },
  DRAIN: { admin: "drain", health: "up", transitioning: true, known: true },
};

const COUNTS = /^([A-Z]+) ([0-9]{1,9})\/([0-9]{1,9})$/;
// Proxy and server names never hold spaces, slashes or parentheses.
const MAINT_VIA = /^MAINT \(via ([^\s/()]+\/[^\s/()]+)\)$/;

/** Parses a server `status` cell by exact value; never throws. */
export function parseServerStatus(raw: string): ServerStatus {
  const exact = Object.prototype.hasOwnProperty.call(EXACT, raw) ? EXACT[raw] : undefined;
  if (exact) return { raw, ...exact };

  const counts = COUNTS.exec(raw);
  if (counts && Object.prototype.hasOwnProperty.call(WITH_COUNTS, counts[1])) {
    return { raw, ...WITH_COUNTS[counts[1]], checksPassed: Number(counts[2]), checksNeeded: Number(counts[3]) };
  }

  const via = MAINT_VIA.exec(raw);
  if (via) return { raw, admin: "maint", health: "down", transitioning: false, via: via[1], source: "via", known: true };

  return { raw, admin: "ready", health: "down", transitioning: false, known: false };
}

