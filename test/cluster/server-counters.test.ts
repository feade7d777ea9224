// The analysis's arithmetic on counters: a restart (counters going backwards) is never a
// negative change, and the window's mean time is recovered from HAProxy's sliding
// averages, checked against a simulation of HAProxy's own update rule.
import assert from "node:assert/strict";
import { counterDelta, windowMeanMs, type ServerCounters } from "../../provider";

const counters = (over: Partial<ServerCounters>): ServerCounters => ({ responses: 0, http5xx: 0, responseErrors: 0, connectionErrors: 0, timeSamples: 0, ...over });

/** HAProxy's update (swrate_add_dynamic): plain sum for the first 512 samples, then sum − ⌈sum/512⌉ + v; shown average ⌈sum/n⌉. */
class HaproxyAverage {
  sum = 0;
  count = 0;
  add(v: number): void {
    const n = this.count > 512 ? 512 : 0;
    this.sum = this.sum - (n ? Math.floor((this.sum + n - 1) / n) : 0) + v;
    this.count++;
  }
  get shown(): { averageMs: number; samples: number } {
    const n = Math.min(this.count, 512);
    return { averageMs: n ? Math.floor((this.sum + n - 1) / n) : 0, samples: this.count };
  }
}

describe("server counters", function () {
  it("counts the change between two reads: requests are responses plus failures, errors 5xx plus failures", function () {
    const d = counterDelta(counters({ responses: 100, http5xx: 2, responseErrors: 1, connectionErrors: 1, timeSamples: 100 }), counters({ responses: 150, http5xx: 7, responseErrors: 2, connectionErrors: 3, timeSamples: 150 }));
    assert.deepEqual(d, { requests: 53, errors: 8, timeSamples: 50, reset: false });
  });

  it("treats counters that went backwards as a restart and counts from zero, never negative", function () {
    const d = counterDelta(counters({ responses: 5000, http5xx: 40, timeSamples: 5000 }), counters({ responses: 30, http5xx: 1, timeSamples: 30 }));
    assert.deepEqual(d, { requests: 30, errors: 1, timeSamples: 30, reset: true });
  });

  it("counts from zero after a reload told by the process, even when the new counters already passed the old ones", function () {
    const d = counterDelta(counters({ responses: 100, timeSamples: 100 }), counters({ responses: 150, http5xx: 3, timeSamples: 150 }), true);
    assert.deepEqual(d, { requests: 150, errors: 3, timeSamples: 150, reset: true });
  });

  it("calls any single counter going backwards a restart", function () {
    assert.equal(counterDelta(counters({ responses: 10, connectionErrors: 3 }), counters({ responses: 20, connectionErrors: 0 })).reset, true);
  });

  for (const [history, window] of [
    [2000, 300],
    [2000, 1500],
    [100, 200],
    [0, 150],
  ] as const) {
    it(`recovers the window's mean time after ${history} old samples at 10 ms and ${window} new at 60 ms, where rtime alone lags`, function () {
      const avg = new HaproxyAverage();
      for (let i = 0; i < history; i++) avg.add(10);
      const before = avg.shown;
      for (let i = 0; i < window; i++) avg.add(60);
      const estimate = windowMeanMs(history === 0 ? undefined : before, avg.shown)!;
      assert.ok(Math.abs(estimate.meanMs - 60) < 6, `estimated ${estimate.meanMs} ms (HAProxy shows ${avg.shown.averageMs} ms)`);
      if (history >= 512 && window < 512) assert.ok(avg.shown.averageMs < 50, "the raw sliding average still mixes in the old samples");
    });
  }

  it("has no window mean without new samples", function () {
    assert.equal(windowMeanMs({ averageMs: 5, samples: 10 }, { averageMs: 5, samples: 10 }), undefined);
  });
});
