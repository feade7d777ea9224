// One server's traffic counters as the analysis needs them, and the change between two
// reads of one member. A counter that went backwards means the counters restarted
// (a reload, `clear counters all`): the change is then what was counted since the
// restart, never a negative number.

import { counterGrowth } from "../model/reload";
import type { Server } from "../model/server";

/**
 * HAProxy's response-time averages (`rtime`, `ttime`) are sliding averages. A server's
 * first 512 samples are summed as they come; from then on each new sample adds its value
 * and removes 1/512 of the running sum (`swrate_add_dynamic`, TIME_STATS_SAMPLES = 512,
 * which the documentation calls "the last 1024 requests"). The shown average is that sum
 * divided by min(samples, 512), samples being `req_tot` (HTTP) or `lbtot`.
 */
export const HAPROXY_TIME_SAMPLES = 512;

/** What one read of one server on one member says, as cumulative counters. */
export interface ServerCounters {
  /** Responses received from the server: hrsp_1xx…hrsp_5xx + hrsp_other (HTTP), else `lbtot`. */
  responses: number;
  /** HTTP 5xx responses from the server (0 in TCP mode). */
  http5xx: number;
  /** `eresp`: responses that failed (read error, timeout, aborted by the server). */
  responseErrors: number;
  /** `econ`: failed attempts to connect to the server. */
  connectionErrors: number;
  /** Samples behind the time average: `req_tot` (HTTP) or `lbtot`. */
  timeSamples: number;
  /** `rtime` (HTTP response time; `ttime` when rtime is absent), milliseconds; undefined when HAProxy shows none. */
  averageMs?: number;
}

/** The change between two reads of one member. */
export interface CounterDelta {
  /** Requests that reached an outcome: responses + response errors + connection errors. */
  requests: number;
  /** 5xx responses + response errors + connection errors. */
  errors: number;
  /** New samples of the time average. */
  timeSamples: number;
  /** The counters went backwards between the two reads: they restarted, and the delta counts from zero. */
  reset: boolean;
}

const RESPONSE_COLUMNS = ["hrsp_1xx", "hrsp_2xx", "hrsp_3xx", "hrsp_4xx", "hrsp_5xx", "hrsp_other"] as const;

export function readServerCounters(server: Server): ServerCounters {
  const http = RESPONSE_COLUMNS.map((c) => server.int(c));
  const isHttp = http.some((n) => n !== undefined);
  const responses = isHttp ? http.reduce<number>((sum, n) => sum + (n ?? 0), 0) : (server.int("lbtot") ?? 0);
  return {
    responses,
    http5xx: server.int("hrsp_5xx") ?? 0,
    responseErrors: server.int("eresp") ?? 0,
    connectionErrors: server.int("econ") ?? 0,
    timeSamples: (isHttp ? server.int("req_tot") : undefined) ?? server.int("lbtot") ?? responses,
    averageMs: server.int("rtime") ?? server.int("ttime"),
  };
}

/** Requests that reached an outcome, errors among them: the analysis's two numbers. */
export function totals(c: ServerCounters): { requests: number; errors: number } {
  const failed = c.responseErrors + c.connectionErrors;
  return { requests: c.responses + failed, errors: c.http5xx + failed };
}

/**
 * before → after. A counter that went backwards marks a restart, and so does `reloaded`
 * (the member's process changed: `reloadBetween`, which also sees a reload whose new
 * counters already grew past the old ones); then `after` counts from zero.
 */
export function counterDelta(before: ServerCounters, after: ServerCounters, reloaded = false): CounterDelta {
  const monotonic = ["responses", "http5xx", "responseErrors", "connectionErrors", "timeSamples"] as const;
  const reset = reloaded || monotonic.some((k) => after[k] < before[k]);
  const a = totals(after);
  const b = totals(before);
  return {
    requests: counterGrowth(b.requests, a.requests, reset),
    errors: counterGrowth(b.errors, a.errors, reset),
    timeSamples: counterGrowth(before.timeSamples, after.timeSamples, reset),
    reset,
  };
}

/**
 * The mean time of the samples added between two reads, recovered from HAProxy's two
 * sliding averages, and its weight (the effective number of window samples). With
 * d = 1 − 1/512, j new samples summed plainly (while fewer than 512 were counted) and m
 * decaying ones: sum₁ = (sum₀ + j·μ)·dᵐ + μ·512·(1 − dᵐ). Comparing the raw `rtime`
 * instead would mix in the requests before the window (the previous version's, for a
 * server that was just deployed), which hides a regression for hundreds of requests.
 * `from` undefined means the counters restarted: everything counts from zero.
 */
export function windowMeanMs(from: { averageMs: number; samples: number } | undefined, to: { averageMs: number; samples: number }): { meanMs: number; weight: number } | undefined {
  const n = HAPROXY_TIME_SAMPLES;
  const c0 = from?.samples ?? 0;
  const c1 = to.samples;
  if (c1 <= c0) return undefined;
  const plain = Math.max(0, Math.min(c1, n) - c0);
  const decaying = c1 - c0 - plain;
  const decay = Math.pow(1 - 1 / n, decaying);
  const weight = plain * decay + n * (1 - decay);
  const sum0 = from ? from.averageMs * Math.min(c0, n) : 0;
  const sum1 = to.averageMs * Math.min(c1, n);
  return { meanMs: Math.max(0, (sum1 - sum0 * decay) / weight), weight };
}
