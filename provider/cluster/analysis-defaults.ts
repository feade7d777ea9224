// The one home of the analysis thresholds' defaults, shared by the library, the CLI and
// the Pulumi resources. docs/judging-a-new-version.md ("Why these numbers") gives the numbers
// that chose them.

export { ANALYSIS_DEFAULTS, PEER_EXCESS_MIN_Z } from "../policy";

export type AnalysisFailurePolicy = "fail" | "drain";
export const ANALYSIS_FAILURE_POLICIES: readonly AnalysisFailurePolicy[] = ["fail", "drain"];
