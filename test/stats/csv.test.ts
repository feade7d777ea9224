// Behaviour of the statistics CSV parser on the layouts HAProxy writes and on the answers
// that are not statistics at all.

import assert from "node:assert/strict";
import { HcError } from "../../provider/errors";
import { StatsCsvParser, parseStatsCsv, type BadStatsReason, type StatsTable } from "../../provider/stats/csv";
import { intCell, stringCell } from "../../provider/stats/cells";
import { readFixture } from "./fixtures";

const MEMBER = "http://lb1:8080/stats";

/** Feeds `text` in pieces cut at `cuts` and returns the table. */
function streamed(text: string, cuts: number[], member = MEMBER): StatsTable {
  const parser = new StatsCsvParser(member);
  let from = 0;
  for (const cut of cuts) {
    parser.write(text.slice(from, cut));
    from = cut;
  }
  parser.write(text.slice(from));
  return parser.end();
}

function badStats(run: () => unknown, reason: BadStatsReason, pattern: RegExp, member = MEMBER): HcError {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof HcError, `expected an HcError, got ${String(caught)}`);
  assert.equal(caught.code, "HC_BAD_STATS");
  assert.equal(caught.details.reason, reason, caught.message);
  assert.equal(caught.member, member);
  assert.ok(caught.message.startsWith(`${member}: `), caught.message);
  assert.match(caught.message, pattern);
  // One plain sentence: no line breaks, ends with a full stop.
  assert.doesNotMatch(caught.message, /\n/);
  assert.match(caught.message, /\.$/);
  return caught;
}

describe("stats CSV parser", () => {
  describe("layouts HAProxy writes", () => {
    it("reads the header by name and drops the trailing empty cell of every line", () => {
      const table = parseStatsCsv("# pxname,svname,status,scur,\nbe,s1,UP,3,\n", MEMBER);
      assert.deepEqual(table.columns, ["pxname", "svname", "status", "scur"]);
      assert.deepEqual(table.rows, [["be", "s1", "UP", "3"]]);
      assert.equal(table.index.get("scur"), 3);
      assert.equal(table.index.get("nope"), undefined);
    });

    it("accepts lines without the trailing comma too", () => {
      const table = parseStatsCsv("# pxname,svname,scur\nbe,s1,3\n", MEMBER);
      assert.deepEqual(table.rows, [["be", "s1", "3"]]);
    });

    it("keeps an empty last cell before the trailing comma", () => {
      const table = parseStatsCsv("# pxname,svname,scur,\nbe,s1,,\n", MEMBER);
      assert.deepEqual(table.rows, [["be", "s1", ""]]);
    });

    it("accepts a whole row that lacks only the trailing comma", () => {
      const table = parseStatsCsv("# pxname,svname,scur,\nbe,s1,4\n", MEMBER);
      assert.deepEqual(table.rows, [["be", "s1", "4"]]);
    });

    it("skips the empty first line the HTTP stats page may send", () => {
      const table = parseStatsCsv("\n# pxname,svname,\nbe,s1,\n", MEMBER);
      assert.deepEqual(table.rows, [["be", "s1"]]);
    });

    it("skips the empty line that ends a Runtime API answer", () => {
      const table = parseStatsCsv(readFixture("haproxy-2.6/lb1-show-stat.csv"), MEMBER);
      assert.equal(table.rows.length, 7);
    });

    it("reads CRLF line ends", () => {
      const table = parseStatsCsv("\r\n# pxname,svname,status,\r\nbe,s1,UP,\r\nbe,s2,DOWN 1/2,\r\n", MEMBER);
      assert.deepEqual(table.columns, ["pxname", "svname", "status"]);
      assert.deepEqual(table.rows, [["be", "s1", "UP"], ["be", "s2", "DOWN 1/2"]]);
    });

    it("unquotes cells with commas, doubled quotes and line breaks, records spanning lines", () => {
      const text =
        '# pxname,svname,check_desc,scur,\n' +
        'be,s1,"Layer7 wrong status, code: 503, info: ""Service Unavailable""",0,\n' +
        'be,s2,"two\nlines\r\nand CRLF",1,\r\n' +
        'be,s3,"",2,\n' +
        'be,s4,"""",3,\n';
      const table = parseStatsCsv(text, MEMBER);
      assert.deepEqual(table.rows, [
        ["be", "s1", 'Layer7 wrong status, code: 503, info: "Service Unavailable"', "0"],
        ["be", "s2", "two\nlines\r\nand CRLF", "1"],
        ["be", "s3", "", "2"],
        ["be", "s4", '"', "3"],
      ]);
    });

    it("keeps a quote inside an unquoted cell as a literal character", () => {
      const table = parseStatsCsv('# pxname,svname,x,\nbe,s1,say "hi",\n', MEMBER);
      assert.deepEqual(table.rows, [["be", "s1", 'say "hi"']]);
    });

    it("keeps the `-` marker column and every build-specific column after it", () => {
      const table = parseStatsCsv(readFixture("haproxy-2.6/lb1-show-stat.csv"), MEMBER);
      const dash = table.index.get("-");
      assert.equal(dash, 103);
      assert.equal(table.columns.length, 128);
      assert.equal(table.columns[dash + 1], "ssl_sess");
      assert.equal(table.columns[127], "h1_spliced_bytes_out");
      for (const row of table.rows) assert.equal(row[dash], "-");
      const fe = table.rows[0];
      assert.equal(intCell(fe, table.index.get("h1_bytes_out")), 906);
    });

    it("trims the spaces of HAProxy 1.4.0's header (`req_rate, req_rate_max, req_tot,`)", () => {
      const table = parseStatsCsv("# pxname,svname,hanafail,req_rate, req_rate_max, req_tot,\nfe,FRONTEND,,5,9,100,\n", MEMBER);
      assert.deepEqual(table.columns, ["pxname", "svname", "hanafail", "req_rate", "req_rate_max", "req_tot"]);
      assert.equal(intCell(table.rows[0], table.index.get("req_rate_max")), 9);
    });

    it("returns no rows for a header without data", () => {
      const table = parseStatsCsv("# pxname,svname,status,\n", MEMBER);
      assert.equal(table.rows.length, 0);
      assert.equal(table.columns.length, 3);
    });

    it("reads the DataDog fixture's quoted cell with a comma as one cell", () => {
      const table = parseStatsCsv(readFixture("stats-csv/datadog_mock_data_1.4-header.csv"), MEMBER);
      const backendB = table.rows.find((row) => row[0] === "b" && row[1] === "BACKEND");
      assert.ok(backendB);
      assert.equal(stringCell(backendB, table.index.get("hrsp_2xx")), "space, afterspace");
      assert.equal(intCell(backendB, table.index.get("hrsp_2xx")), undefined);
    });

    it("gives the same table when chunks split a CRLF, a quoted cell or a doubled quote", () => {
      const text = '# pxname,svname,d,\r\nbe,s1,"a,""b""\r\nc",\r\nbe,s2,x,\r\n';
      const whole = parseStatsCsv(text, MEMBER);
      for (const needle of ["\r\n# ", '""b', 'b""', "\r\nc", ',\r\nbe,s2']) {
        const at = text.indexOf(needle) + 1;
        assert.deepEqual(streamed(text, [at]), whole, `cut at ${at} (${JSON.stringify(needle)})`);
      }
      assert.deepEqual(streamed(text, Array.from({ length: text.length }, (_, i) => i)), whole, "one character at a time");
    });

    it("returns the same table from a second end()", () => {
      const parser = new StatsCsvParser(MEMBER);
      parser.write("# pxname,svname,\nbe,s1,\n");
      const table = parser.end();
      assert.equal(parser.end(), table);
      assert.throws(() => parser.write("x"), /after end/);
    });
  });

  describe("answers that are not statistics", () => {
    it("rejects an empty answer, as HAProxy gives right after a reload", () => {
      badStats(() => parseStatsCsv("", MEMBER), "empty", /empty answer, as HAProxy gives right after a reload; try again\.$/);
      badStats(() => parseStatsCsv("\r\n\n", MEMBER), "empty", /empty answer/);
      badStats(() => new StatsCsvParser(MEMBER).end(), "empty", /empty answer/);
    });

    it("rejects an HTML page, saying to check the URL and the login page", () => {
      const html = "<!DOCTYPE html>\n<html><head><title>Statistics Report for HAProxy</title></head><body></body></html>\n";
      badStats(() => parseStatsCsv(html, MEMBER), "html", /is an HTML page, not statistics CSV; check that the URL is the stats page \(;csv is added for you\) and that it is not behind a login page\.$/);
    });

    it("rejects a login form", () => {
      const login = '\n<html>\n<body><form method="post" action="/login"><input name="user"><input type="password" name="pass"></form></body></html>\n';
      badStats(() => parseStatsCsv(login, MEMBER), "html", /login page/);
    });

    it("rejects an HTML page on the first chunk, before it has ended", () => {
      const parser = new StatsCsvParser(MEMBER);
      badStats(() => parser.write("<!doctype html><html><bo"), "html", /HTML page/);
      badStats(() => parser.write("dy>"), "html", /HTML page/);
      badStats(() => parser.end(), "html", /HTML page/);
    });

    it("rejects Runtime API error replies, quoting their start", () => {
      badStats(() => parseStatsCsv("Unknown command. Please enter one of the following commands only :\n  help\n", "unix:/run/haproxy/admin.sock"), "not-csv", /starts with "Unknown command\. Please enter one of the following commands …" instead of HAProxy's "# pxname,svname,…" statistics header/, "unix:/run/haproxy/admin.sock");
      badStats(() => parseStatsCsv("Permission denied\n", "unix:/run/haproxy/admin.sock"), "not-csv", /"Permission denied"/, "unix:/run/haproxy/admin.sock");
    });

    it("rejects `show info` and `show servers state` answers", () => {
      badStats(() => parseStatsCsv(readFixture("haproxy-2.6/lb1-show-info.txt"), MEMBER), "not-csv", /"Name: HAProxy"/);
      badStats(() => parseStatsCsv(readFixture("haproxy-2.6/lb1-show-servers-state.txt"), MEMBER), "not-csv", /starts with "1"/);
      badStats(() => parseStatsCsv("# be_id be_name srv_id srv_name\n", MEMBER), "no-stats-header", /names no pxname and svname columns/);
    });

    it("rejects a header that lacks pxname or svname", () => {
      badStats(() => parseStatsCsv("# pxname,status,\nbe,UP,\n", MEMBER), "no-stats-header", /no pxname and svname/);
    });

    it("rejects a `#` line without the space HAProxy always writes", () => {
      badStats(() => parseStatsCsv("#pxname,svname,\n", MEMBER), "not-csv", /"#pxname,svname,"/);
    });

    it("says truncated when the last line has no newline", () => {
      badStats(() => parseStatsCsv("# pxname,svname,scur,\nbe,s1,1,\nbe,s2,", MEMBER), "truncated", /ends in the middle of row 2 \(no final newline\), so it is truncated; try again\.$/);
      badStats(() => parseStatsCsv("# pxname,svname,scur,\nbe,s1,1,", MEMBER), "truncated", /truncated/);
    });

    it("says truncated when the header itself has no newline", () => {
      badStats(() => parseStatsCsv("# pxname,svname,scur,", MEMBER), "truncated", /inside the header line.*truncated/);
    });

    it("says truncated when the answer ends inside a quoted cell", () => {
      badStats(() => parseStatsCsv('# pxname,svname,d,\nbe,s1,"Layer7 wrong status, code', MEMBER), "truncated", /ends inside a quoted cell of row 1, so it is truncated/);
      badStats(() => parseStatsCsv('# pxname,svname,d,\nbe,s1,"x\n', MEMBER), "truncated", /inside a quoted cell/);
      badStats(() => parseStatsCsv('# pxname,svname,d,\nbe,s1,"x"', MEMBER), "truncated", /no final newline/);
    });

    it("says truncated when a row has fewer cells than the header", () => {
      const text = "# pxname,svname,status,scur,\nbe,s1,UP,0,\nbe,s2,UP\n";
      badStats(() => parseStatsCsv(text, MEMBER), "truncated", /row 2 \(be\/s2\) has 3 of the 4 cells the header names, so the answer is truncated; try again\.$/);
      // Cut after a comma: the trailing comma is there, the last cell is not.
      badStats(() => parseStatsCsv("# pxname,svname,status,scur,\nbe,s2,UP,\n", MEMBER), "truncated", /has 3 of the 4 cells/);
    });

    it("rejects a row with more cells than the header instead of misreading every column after", () => {
      badStats(() => parseStatsCsv("# pxname,svname,status,\nbe,s1,UP,extra,\n", MEMBER), "too-many-cells", /row 1 \(be\/s1\) has 4 cells where the header names only 3 columns/);
    });

    it("rejects the same way whatever the chunking", () => {
      const cases: [string, BadStatsReason][] = [
        ["", "empty"],
        ["<html><body>login</body></html>\n", "html"],
        ["Unknown command\n", "not-csv"],
        ["# be_id be_name\n", "no-stats-header"],
        ["# pxname,svname,scur,\nbe,s1,1,\nbe,s2,", "truncated"],
        ['# pxname,svname,d,\nbe,s1,"open', "truncated"],
        ["# pxname,svname,scur,\nbe,s1\n", "truncated"],
        ["# pxname,svname,\nbe,s1,x,y\n", "too-many-cells"],
      ];
      for (const [text, reason] of cases) {
        for (let cut = 0; cut <= text.length; cut++) {
          badStats(() => streamed(text, [cut]), reason, /./);
        }
      }
    });

    it("keeps failing with the same error once it has failed", () => {
      const parser = new StatsCsvParser(MEMBER);
      const first = badStats(() => parser.write("Permission denied\n"), "not-csv", /Permission denied/);
      assert.throws(() => parser.write("# pxname,svname,\n"), (error) => error === first);
      assert.throws(() => parser.end(), (error) => error === first);
    });

    it("names the member exactly as given, so a redacted spec stays redacted", () => {
      const redacted = "https://admin:***@lb2.example:8443/stats";
      const error = badStats(() => parseStatsCsv("<html></html>\n", redacted), "html", /HTML page/, redacted);
      assert.ok(error.message.includes("admin:***@lb2.example"));
      assert.equal(error.details.member, redacted);
    });
  });
});
