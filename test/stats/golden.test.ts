// Golden tests: every real CSV fixture parses to the summary stored in golden/*.json.
//
// To regenerate after a deliberate change: build, then
//   HC_UPDATE_GOLDEN=1 npx mocha dist/test/stats/golden.test.js
// which rewrites test/stats/golden/ in the source tree. Read the diff line by line before
// committing: the files are the reviewed statement of what each fixture means.

import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { parseStatsCsv, type StatsTable } from "../../provider/stats/csv";
import { rowRecord } from "../../provider/stats/cells";
import { parseServerStatus } from "../../provider/stats/status";
import { readFixture, statsCsvFixtures } from "./fixtures";

const GOLDEN_DIR = path.resolve(__dirname, "../../../test/stats/golden");
// The cells the model layer reads; others are covered by the column count and names.
const SELECTED = ["pxname", "svname", "type", "status", "scur", "qcur", "slim", "weight", "act", "bck", "check_status", "lastchg", "addr", "algo"];

function summarize(fixture: string, table: StatsTable): unknown {
  return {
    fixture,
    columnCount: table.columns.length,
    rowCount: table.rows.length,
    columns: table.columns.join(","),
    rows: table.rows.map((row) => {
      const record = rowRecord(table, row);
      const selected: Record<string, unknown> = {};
      for (const name of SELECTED) if (name in record) selected[name] = record[name];
      if (record.type === 2 && typeof record.status === "string") {
        const { admin, health, transitioning, known } = parseServerStatus(record.status);
        selected.statusModel = { admin, health, transitioning, known };
      }
      return selected;
    }),
  };
}

function goldenFile(fixture: string): string {
  return path.join(GOLDEN_DIR, `${fixture.replace(/[/\\]/g, "__")}.json`);
}

describe("stats golden fixtures", () => {
  for (const fixture of statsCsvFixtures()) {
    it(`${fixture} parses to its reviewed summary`, () => {
      const actual = summarize(fixture, parseStatsCsv(readFixture(fixture), `file:${fixture}`));
      const file = goldenFile(fixture);
      if (process.env.HC_UPDATE_GOLDEN === "1") {
        fs.mkdirSync(GOLDEN_DIR, { recursive: true });
        fs.writeFileSync(file, `${JSON.stringify(actual, null, 2)}\n`);
      }
      assert.ok(fs.existsSync(file), `${file} is missing: regenerate with HC_UPDATE_GOLDEN=1 and review it`);
      assert.deepEqual(actual, JSON.parse(fs.readFileSync(file, "utf8")));
    });
  }
});
