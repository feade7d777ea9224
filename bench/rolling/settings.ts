// What every way of the rolling benchmark is run with: the load, the apps' warm-up, the
// deadlines and the log. Its own module so that the ways (bench/rolling/*-way.ts and the
// scenarios) and the benchmark that runs them both take it without importing each other.

export interface WaySettings {
  /** How many times the (a)/(b)/(c) sequence runs. */
  runs: number;
  /** Requests per second, both frontends together. */
  ratePerSecond: number;
  connectionsPerFrontend: number;
  /** Each way's load sends at least this many requests (it runs on after the deploy until then). */
  minRequestsPerWay: number;
  /** A request slower than this fails as a timeout, ms. */
  requestTimeoutMs: number;
  /** The new app answers 503 to everything, /check included, this long after start, ms. */
  warmupMs: number;
  /** One request in this many (per frontend) is `/slow?ms=slowMs`, so deploys meet requests in flight; 0: none. */
  slowEvery: number;
  slowMs: number;
  /** Load before the deploy starts, ms. */
  leadInMs: number;
  /** Load after the deploy ends, at least, ms. */
  tailMs: number;
  /** Hard bound on one way's load, seconds. */
  maxLoadSeconds: number;
  /** Repeats of each calibration measurement (the median is used). */
  calibrationRounds: number;
  /** Hard bound on one deploy, ms. */
  deployTimeoutMs: number;
  /** Progress lines (stderr in the benchmark). */
  log(line: string): void;
}
