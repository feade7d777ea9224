// Typed cell reads: empty or missing means undefined, never 0.

import assert from "node:assert/strict";
import { intCell, parseDecimal, rowRecord, stringCell } from "../../provider/stats/cells";
import { parseStatsCsv } from "../../provider/stats/csv";
import { readFixture } from "./fixtures";

describe("stats cells", () => {
  const row = ["be", "s1", "", "0", "-1", "4294967293", " 1", "1e3", "0x10", "12a", "-", "+1", "1.5", "18446744073709551615", "007"];

  it("reads integers strictly", () => {
    assert.equal(intCell(row, 3), 0);
    assert.equal(intCell(row, 4), -1);
    assert.equal(intCell(row, 5), 4294967293);
    assert.equal(intCell(row, 14), 7);
    assert.equal(intCell(row, 13), 18446744073709551615); // rounded to the nearest double
    for (const i of [0, 2, 6, 7, 8, 9, 10, 11, 12]) assert.equal(intCell(row, i), undefined, JSON.stringify(row[i]));
  });

  it("answers undefined, never 0, for an empty cell or a missing column", () => {
    assert.equal(intCell(row, 2), undefined);
    assert.equal(intCell(row, undefined), undefined);
    assert.equal(intCell(row, 99), undefined);
    assert.equal(intCell(row, -1), undefined);
    assert.equal(stringCell(row, 2), undefined);
    assert.equal(stringCell(row, undefined), undefined);
    assert.equal(stringCell(row, 99), undefined);
    assert.equal(stringCell(row, 0), "be");
  });

  it("reads -0 as 0 and long numbers exactly up to 2^53", () => {
    assert.ok(Object.is(parseDecimal("-0"), 0));
    assert.equal(parseDecimal("9007199254740991"), Number.MAX_SAFE_INTEGER);
    assert.equal(parseDecimal("-9007199254740991"), -Number.MAX_SAFE_INTEGER);
    assert.equal(parseDecimal("123456789012345678"), 123456789012345678);
  });

  it("reads a missing column on an old release as undefined (uweight on 1.4)", () => {
    const table = parseStatsCsv(readFixture("stats-csv/haproxy_cluster_example_1.4.csv"), "x");
    assert.equal(intCell(table.rows[3], table.index.get("uweight")), undefined);
    assert.equal(intCell(table.rows[3], table.index.get("weight")), 1);
  });

  it("builds a typed record by the column table, leaving empty cells out", () => {
    const table = parseStatsCsv(readFixture("haproxy-2.6/lb1-show-stat.csv"), "x");
    const record = rowRecord(table, table.rows[1]);
    assert.equal(record.svname, "server1");
    assert.equal(record.scur, 0);
    assert.equal(record.check_desc, "Layer7 check passed");
    assert.equal(record["-"], "-");
    assert.equal(record.ssl_sess, "0"); // after `-`: not in the table, kept as a string
    assert.ok(!("qlimit" in record));
  });
});
