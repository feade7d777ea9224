// Every default and limit of the toolkit, in one home. The library, the CLI's help text,
// the Pulumi inputs (and so the plugin's schema) and the generated reference pages all
// read their numbers here, so none of them can print a different one. A leaf module: it
// imports nothing, and every layer may import it.

/** Defaults of the waits, actions and requests (each in the unit its name says). */
export const DEFAULTS = {
  /** Share of a backend's active servers that must be serving on every member for it to be rolling-restartable, in percent. */
  thresholdPercent: 80,
  /** `check`: percent serving below which the state is CRITICAL (below thresholdPercent it is WARNING). */
  criticalPercent: 50,
  /** Consecutive passing polls a wait needs before it is satisfied. */
  minChecks: 3,
  /** Time between the starts of two polls of a wait or `watch`, in seconds. */
  intervalSeconds: 2,
  /** Deadline of a wait for a rolling-restartable backend (`wait`, ClusterReadinessGate), in seconds. */
  waitTimeoutSeconds: 300,
  /** Deadline of an action's wait (the new state seen on every member; back on fresh checks), in seconds. */
  actionTimeoutSeconds: 120,
  /**
   * Time between two reads of an action's wait (and of the sessions wait), in seconds:
   * shorter than a wait's, since a server put back serves on its first passing check.
   */
  actionIntervalSeconds: 0.5,
  /** Deadline of the wait for a drained server's sessions and queue to reach 0, in seconds. */
  sessionsTimeoutSeconds: 60,
  /** Deadline of one request to a member (connect, headers and whole body), in seconds. */
  requestTimeoutSeconds: 5,
  /** Largest answer accepted from a member, in bytes: 10,000 servers are about 5 MiB. */
  maxResponseBytes: 64 * 1024 * 1024,
  /** Servers a rolling deploy or restart takes out of rotation at once. */
  batchSize: 1,
  /** Other servers of the backend that must keep serving on every member after a removal (the capacity guard). */
  minOtherServing: 1,
  /**
   * How often a hold that runs on its own (the held restart, a RollingDeploy step) reads
   * the cluster, in seconds: a reload that undoes the held state is seen at the next read
   * and the state applied again at once.
   */
  holdIntervalSeconds: 1,
  /**
   * How long a removal waits for another process on this machine that is taking servers
   * out of the same backend on the same member (its plan, guard, write and read back; not
   * its waits), in seconds. Then it fails and changes nothing.
   */
  turnTimeoutSeconds: 60,
  /** A removal's turn held longer than this is taken to be left by a process that stopped without letting go of it, in seconds. */
  staleTurnSeconds: 600,
  /** Deadline of one run of RollingRestart's restart command, in seconds. */
  commandTimeoutSeconds: 300,
  /** After SIGTERM at a command's deadline, its process group gets this long to exit before SIGKILL, in seconds. */
  commandKillGraceSeconds: 5,
  /**
   * Health-check interval of a server added at run time, in milliseconds: HAProxy's own
   * default `inter`. `add server` ignores `default-server`, and the Runtime API shows no
   * server's interval, so it cannot be copied from the backend (docs/servers-at-run-time.md).
   */
  addedServerCheckIntervalMs: 2000,
  /**
   * `rise` and `fall` of a server added to a backend none of whose servers is checked
   * (nothing to copy): HAProxy's own defaults. Such a server is still checked, since it
   * enters rotation only on fresh checks.
   */
  addedServerRise: 2,
  addedServerFall: 3,
} as const;

/** The oldest HAProxy that adds servers at run time with health checks (`add server … check`, 2.5). */
export const MIN_DYNAMIC_SERVER_VERSION = [2, 5] as const;

/** Limits that inputs are checked against where they enter. */
export const LIMITS = {
  /** Polling faster than this only loads HAProxy: 20 reads a second per member at most. */
  minIntervalSeconds: 0.05,
  /** The slowest `watch` redraws: a view refreshed less often than hourly is no longer live. */
  maxWatchIntervalSeconds: 3600,
  /** The longest request deadline accepted, in seconds. */
  maxRequestTimeoutSeconds: 3600,
  /** HAProxy's largest server weight; a weight is 0 to this, or a percentage of the configured weight (0% to 100%). */
  maxWeight: 256,
} as const;

/** Defaults of the error-rate analysis of a server put back (the README's "Analysis thresholds" gives the runs that chose them). */
export const ANALYSIS_DEFAULTS = {
  /** Seconds the server is watched after it is back. */
  bakeSeconds: 30,
  /** The window extends up to this many times bakeSeconds while too few requests arrived. */
  timeoutFactor: 3,
  /** Requests (summed over members) the server must answer before any verdict. */
  minRequests: 100,
  /** Absolute ceiling on the server's error percentage. */
  maxErrorPercent: 5,
  /** How many percentage points the server's error percentage may exceed its peers'. */
  maxErrorPercentOverPeers: 1,
  /** The server's window mean response time may be at most this factor × its peers'. */
  responseTimeFactor: 2,
  /** Peers' response time is taken as at least this, so 1 ms against 3 ms is no regression. */
  responseTimeFloorMs: 20,
  /** Seconds between two reads of every member. */
  intervalSeconds: 1,
} as const;

/**
 * Significance (a two-proportion z-score) an excess over the peers needs, so that two
 * errors in a hundred requests against none in a thousand is not called a regression
 * by chance alone. 3 is a one-sided false-alarm rate of about 1 in 700 per analysis.
 */
export const PEER_EXCESS_MIN_Z = 3;
