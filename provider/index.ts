// The public surface of haproxy-cluster: the cluster model, the framework, and errors.
// The Pulumi resources live in `haproxy-cluster/pulumi`; they are also reachable from here,
// loaded on first use (see ./pulumi-lazy), so that the model and the CLI never load @pulumi/pulumi.

export { HcError, HcPartialFailure, isHcError } from "./errors";
export type { HcErrorCode, HcErrorDetails } from "./errors";
export { ERROR_CODES } from "./error-codes";
export type { ErrorCodeInfo, ErrorKind } from "./error-codes";
export { checkName, MAX_NAME_CHARACTERS } from "./input-rules";
export type { NameKind } from "./input-rules";
export { resolveMember, redactUrl } from "./member/spec";
export { checkMemberOptions, DEFAULT_REQUEST_TIMEOUT_SECONDS } from "./member/options";
export { DEFAULTS, LIMITS } from "./policy";
export type { MemberOptionsInput, MemberKind } from "./member/spec";
export { Member } from "./model/member";
export type { ServerAction, SnapshotOptions } from "./model/member";
export { Snapshot } from "./model/snapshot";
export { reloadBetween, sameProcess, counterGrowth } from "./model/reload";
export type { Reload } from "./model/reload";
export { Backend, DEFAULT_THRESHOLD_PERCENT } from "./model/backend";
export type { Capacity, BackendSummary } from "./model/backend";
export { Server } from "./model/server";
export type { ServerSummary } from "./model/server";
export { Frontend } from "./model/frontend";
export { parseStatsCsv, StatsCsvParser } from "./stats/csv";
export type { StatsTable } from "./stats/csv";
export { parseServerStatus } from "./stats/status";
export type { AdminState, HealthState, ServerStatus } from "./stats/status";
export type { Weight, StatsQuery, ProcessIdentity } from "./transport/types";
export { Cluster, rollingRestartCheck } from "./cluster/cluster";
export type { MemberCheck, MemberCondition, PollOptions, WaitOptions, WaitProgress, WaitResult, MemberProgress, Settled } from "./cluster/cluster";
export { ClusterSnapshot } from "./cluster/cluster-snapshot";
export { transitionsBetween, TransitionLog } from "./cluster/transitions";
export type { Transition } from "./cluster/transitions";
export { applyServerAction, waitForSessions, stateReached, applyHostAction, planHostAction, checkHostPlan, serverMatchesHost, checkCapacity, DEFAULT_MIN_OTHER_SERVING } from "./cluster/actions";
export type { ClusterServerAction, ServerActionOptions, ServerActionReport, DrainSessionsOptions, DrainSessionsResult, SessionsTimeoutPolicy, SessionsDeadlinePolicy } from "./cluster/actions";
export type { HostPlan, HostActionOptions, CapacityGuardOptions, Removal, ActionTarget } from "./cluster/actions";
export { addServer, removeServer, setServerAddress, parseServerAddress } from "./cluster/server-lifecycle";
export type { AddServerOptions, AddServerReport, RemoveServerOptions, RemoveServerReport, SetAddressOptions, SetAddressReport, ServerAddress } from "./cluster/server-lifecycle";
export { ServerDrain, ClusterReadinessGate, RollingDeploy, RollingRestart, getClusterHealth, serverDrainProvider, readinessGateProvider, rollingRestartProvider } from "./pulumi-lazy";
export type {
  ServerDrainArgs,
  ClusterReadinessGateArgs,
  GateAnalysisArgs,
  RollingDeployArgs,
  RollingRestartArgs,
  ServerRestart,
  ClusterHealthArgs,
  ClusterConnectionArgs,
  ClusterHealth,
  BackendHealth,
} from "./pulumi";
export { analyseServer, resolveThresholds } from "./cluster/analysis";
export type { AnalysisOptions, AnalysisThresholds, ResolvedThresholds, AnalysisOutcome, AnalysisVerdict, AnalysisProgress, SideNumbers, MemberNumbers } from "./cluster/analysis";
export { ANALYSIS_DEFAULTS, ANALYSIS_FAILURE_POLICIES } from "./cluster/analysis-defaults";
export type { AnalysisFailurePolicy } from "./cluster/analysis-defaults";
export { counterDelta, readServerCounters, windowMeanMs } from "./cluster/server-counters";
export type { ServerCounters, CounterDelta } from "./cluster/server-counters";
