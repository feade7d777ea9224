// Every HAProxy release's header, from 1.3.15 to master (columns-by-version.txt), parses
// and is read by name; and the column table agrees with HAProxy itself.

import assert from "node:assert/strict";
import { parseStatsCsv } from "../../provider/stats/csv";
import { intCell, rowRecord, stringCell } from "../../provider/stats/cells";
import { KNOWN_COLUMNS, columnSpec } from "../../provider/stats/columns";
import { parseServerStatus } from "../../provider/stats/status";
import { readFixture, releases } from "./fixtures";

const SAMPLE: Readonly<Record<string, string>> = { pxname: "be_app", svname: "srv1", status: "UP 1/3", scur: "7", type: "2" };

/** A one-row `show stat` answer for a release: its header exactly as written, and one server row. */
function oneRowCsv(rawList: string, names: readonly string[], extra: readonly string[] = []): string {
  const row = names.map((name) => SAMPLE[name] ?? "");
  const tail = extra.length ? `${extra.join(",")},` : "";
  const extraCells = extra.length ? `${extra.map((name) => (name === "-" ? "-" : "0")).join(",")},` : "";
  return `# ${rawList}${tail}\n${row.join(",")},${extraCells}\n`;
}

describe("stats columns across releases", () => {
  const all = releases();

  it("columns-by-version.txt lists every release the docs name", () => {
    const tags = all.map((release) => release.tag);
    for (const tag of ["v1.3.15", "v1.4.0", "v1.4.1", "v1.5.0", "v1.7.0", "v2.0.0", "v2.3.0", "v2.8.0", "v3.3.0", "HEAD"]) {
      assert.ok(tags.includes(tag), tag);
    }
  });

  for (const release of all) {
    it(`${release.tag}: a synthesized one-row answer is read by name (${release.count} columns)`, () => {
      assert.equal(release.names.length, release.count, "the file's own count");
      const variants = [oneRowCsv(release.rawList, release.names)];
      // 2.3+ ends the fixed columns with `-` and build-specific counters.
      if (release.tag >= "v2.3" || release.tag === "HEAD") variants.push(oneRowCsv(release.rawList, release.names, ["-", "ssl_sess", "h2_headers_rcvd"]));
      for (const text of variants) {
        const table = parseStatsCsv(text, `file:${release.tag}.csv`);
        assert.equal(table.rows.length, 1);
        const [row] = table.rows;
        assert.equal(stringCell(row, table.index.get("pxname")), "be_app");
        assert.equal(stringCell(row, table.index.get("svname")), "srv1");
        assert.equal(intCell(row, table.index.get("scur")), 7);
        assert.equal(intCell(row, table.index.get("type")), 2);
        const status = parseServerStatus(stringCell(row, table.index.get("status")) ?? "");
        assert.deepEqual([status.health, status.transitioning, status.checksPassed, status.checksNeeded], ["up", true, 1, 3]);
      }
      const [withExtras] = variants.slice(1);
      if (withExtras) {
        const table = parseStatsCsv(withExtras, "x");
        assert.equal(table.columns.length, release.count + 3);
        assert.equal(table.index.get("-"), release.count);
      }
    });
  }

  it("reads 1.4.0's spaced header names like any other", () => {
    const release = all.find((r) => r.tag === "v1.4.0");
    assert.ok(release && release.rawList.includes("req_rate, req_rate_max, req_tot,"));
    const table = parseStatsCsv(oneRowCsv(release.rawList, release.names), "x");
    assert.equal(table.index.get("req_tot"), 48);
  });

  it("the column table knows every column of every release, with the release that introduced it", () => {
    const firstSeen = new Map<string, string>();
    for (const release of all) for (const name of release.names) if (!firstSeen.has(name)) firstSeen.set(name, release.tag.replace(/^v/, ""));
    for (const [name, since] of firstSeen) {
      const spec = columnSpec(name);
      assert.ok(spec, `${name} (since ${since}) is missing from KNOWN_COLUMNS: add one line`);
      assert.equal(spec.since, since, name);
    }
    assert.deepEqual(Object.keys(KNOWN_COLUMNS).sort(), [...firstSeen.keys()].sort());
  });

  it("the column table's kinds match HAProxy 2.6's own typed output", () => {
    // `show stat typed` lines: F.2.0.4.scur.1:MGP:u32:0
    const types = new Map<string, string>();
    for (const line of readFixture("haproxy-2.6/lb1-show-stat-typed.txt").split("\n")) {
      const match = /^[A-Z]\.\d+\.\d+\.\d+\.([^.]+)\.\d+:[A-Za-z]+:([a-z0-9]+):/.exec(line);
      if (match) types.set(match[1], match[2]);
    }
    assert.ok(types.size > 100);
    let checked = 0;
    for (const [name, type] of types) {
      const spec = columnSpec(name);
      if (!spec) continue; // build-specific counters after `-`
      assert.equal(spec.kind, type === "str" ? "string" : "int", `${name} is ${type} in HAProxy 2.6`);
      checked++;
    }
    assert.ok(checked >= 85, `checked ${checked}`); // the typed dump leaves out empty cells
    // agg_server_status is an integer gauge, not a status string.
    assert.equal(types.get("agg_server_status"), "u32");
  });

  it("reading by name survives the columns that moved inside 2.6 (agg_server_status inserted before agg_server_check_status)", () => {
    const release = all.find((r) => r.tag === "v2.6.0");
    assert.ok(release);
    const built = parseStatsCsv(readFixture("haproxy-2.6/lb1-show-stat.csv"), "x");
    const tagged = parseStatsCsv(oneRowCsv(release.rawList, release.names), "x");
    assert.equal(tagged.index.get("agg_server_check_status"), 100);
    assert.equal(tagged.index.get("agg_server_status"), undefined);
    assert.equal(built.index.get("agg_server_status"), 100);
    assert.equal(built.index.get("agg_server_check_status"), 101);
  });

  it("documents what the 2.6 fixtures show: the HTTP page hides addr and algo, the socket does not", () => {
    const http = parseStatsCsv(readFixture("haproxy-2.6/lb1-http-stats.csv"), "http");
    const socket = parseStatsCsv(readFixture("haproxy-2.6/lb1-show-stat.csv"), "socket");
    const server1 = (table: typeof http) => table.rows.find((row) => row[1] === "server1") ?? [];
    assert.equal(stringCell(server1(http), http.index.get("addr")), undefined);
    assert.equal(stringCell(server1(socket), socket.index.get("addr")), "127.0.0.1:17001");
    const backend = (table: typeof http) => table.rows.find((row) => row[0] === "myapp" && row[1] === "BACKEND") ?? [];
    assert.equal(stringCell(backend(http), http.index.get("algo")), undefined);
    assert.equal(stringCell(backend(socket), socket.index.get("algo")), "roundrobin");
  });

  it("documents what the 2.6 fixtures show: the stats backend reports qtime_max 4294967293 (a wrapped -3)", () => {
    const socket = parseStatsCsv(readFixture("haproxy-2.6/lb1-show-stat.csv"), "socket");
    const stats = socket.rows.find((row) => row[0] === "stats" && row[1] === "BACKEND");
    assert.ok(stats);
    assert.equal(rowRecord(socket, stats).qtime_max, 4294967293);
  });
});
