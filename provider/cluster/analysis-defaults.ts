// The one home of the analysis thresholds' defaults, shared by the library, the CLI and
// the Pulumi resources. docs/judging-a-new-version.md ("Why these numbers") gives the numbers
// that chose them.

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

export type AnalysisFailurePolicy = "fail" | "drain";
export const ANALYSIS_FAILURE_POLICIES: readonly AnalysisFailurePolicy[] = ["fail", "drain"];
