// Every server status value HAProxy prints, and a few it does not, read by exact value.

import assert from "node:assert/strict";
import { parseServerStatus, type ServerStatus } from "../../provider/stats/status";

type Expected = Omit<ServerStatus, "raw">;

const ready = { admin: "ready", transitioning: false, known: true } as const;
// [raw, expected meaning]
const TABLE: [string, Expected][] = [
  ["UP", { ...ready, health: "up" }],
  ["UP 1/3", { ...ready, health: "up", transitioning: true, checksPassed: 1, checksNeeded: 3 }],
  ["UP 2/3", { ...ready, health: "up", transitioning: true, checksPassed: 2, checksNeeded: 3 }],
  ["DOWN", { ...ready, health: "down" }],
  ["DOWN 1/2", { ...ready, health: "down", transitioning: true, checksPassed: 1, checksNeeded: 2 }],
  ["DOWN 0/2", { ...ready, health: "down", transitioning: true, checksPassed: 0, checksNeeded: 2 }],
  ["DOWN (agent)", { ...ready, health: "down", source: "agent" }],
  ["NOLB", { ...ready, health: "nolb" }],
  ["NOLB 1/2", { ...ready, health: "nolb", transitioning: true, checksPassed: 1, checksNeeded: 2 }],
  ["DRAIN", { ...ready, admin: "drain", health: "up" }],
  ["DRAIN 2/3", { ...ready, admin: "drain", health: "up", transitioning: true, checksPassed: 2, checksNeeded: 3 }],
  ["DRAIN (agent)", { ...ready, admin: "drain", health: "up", source: "agent" }],
  ["MAINT", { ...ready, admin: "maint", health: "down" }],
  ["MAINT (via be_app/srv1)", { ...ready, admin: "maint", health: "down", via: "be_app/srv1", source: "via" }],
  ["MAINT (via be-x.y:z/srv_2)", { ...ready, admin: "maint", health: "down", via: "be-x.y:z/srv_2", source: "via" }],
  ["MAINT (resolution)", { ...ready, admin: "maint", health: "down", source: "resolution" }],
  ["MAINT(via)", { ...ready, admin: "maint", health: "down", source: "via" }], // 1.4/1.5
  ["no check", { ...ready, health: "no check" }],
];

const unknown: Expected = { admin: "ready", health: "down", transitioning: false, known: false };
// Never printed by HAProxy: each must stay unknown, with health down so it never counts as serving.
const UNKNOWN = [
  "NO CHECK", // DataDog's mock data
  "MAINT(resolution)", // documentation spelling only
  "up",
  "Up",
  " UP",
  "UP ",
  "UP 1/",
  "UP /3",
  "UP 1/3 ",
  "UP 1/3/4",
  "UP x/y",
  "UPX 1/3",
  "MAINT 1/2",
  "no check 1/2",
  "DOWN (agent) 1/2",
  "MAINT (via )",
  "MAINT (via be)",
  "MAINT (via a/b/c)",
  "MAINT (via a b/c)",
  "OPEN", // frontend status, not a server's
  "STOP",
  "",
  "toString",
  "__proto__",
  "constructor",
];

describe("server status", () => {
  for (const [raw, expected] of TABLE) {
    it(`reads ${JSON.stringify(raw)} as ${expected.admin}/${expected.health}${expected.transitioning ? " (transitioning)" : ""}`, () => {
      const status = parseServerStatus(raw);
      assert.deepEqual(status, { raw, ...expected });
    });
  }

  for (const raw of UNKNOWN) {
    it(`keeps ${JSON.stringify(raw)} unknown: admin ready, health down`, () => {
      const status = parseServerStatus(raw);
      assert.deepEqual(status, { raw, ...unknown });
    });
  }

  it("never matches by substring: a status that merely contains UP is not up", () => {
    for (const raw of ["UP (agent)", "DOWN UP", "NOUP", "UP\n"]) assert.equal(parseServerStatus(raw).known, false, raw);
  });

  it("returns a fresh object each time, so callers may not corrupt the table", () => {
    const first = parseServerStatus("UP");
    (first as { health: string }).health = "down";
    assert.equal(parseServerStatus("UP").health, "up");
  });
});
