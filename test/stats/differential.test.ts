// Differential test: the streaming parser, fed in chunks cut anywhere, must produce what
// csv-parse produces from the same text (after the same HAProxy-specific normalisation:
// `# ` prefix, trimmed header names, trailing empty cell dropped, empty lines skipped).

import assert from "node:assert/strict";
import { parse } from "csv-parse/sync";
import { StatsCsvParser, parseStatsCsv } from "../../provider/stats/csv";
import { generateStatsCsv } from "../../bench/fixtures/generate";
import { readFixture, statsCsvFixtures } from "./fixtures";

interface Plain {
  columns: string[];
  rows: string[][];
}

/** What csv-parse reads from `text`, shaped as a StatsTable's columns and rows. */
function reference(text: string): Plain {
  const records = parse(text, {
    record_delimiter: ["\r\n", "\n"],
    relax_column_count: true,
    skip_empty_lines: true,
  }) as string[][];
  const [header, ...data] = records;
  const names = header.map((name, i) => (i === 0 ? name.replace(/^# /, "") : name).trim());
  const trailingComma = names[names.length - 1] === "";
  if (trailingComma) names.pop();
  const rows = data.map((row) => {
    assert.ok(row.length === names.length || (row.length === names.length + 1 && row[row.length - 1] === ""), `reference row width ${row.length}`);
    return row.length === names.length + 1 ? row.slice(0, -1) : row;
  });
  return { columns: names, rows };
}

function plain(table: { columns: readonly string[]; rows: readonly (readonly string[])[] }): Plain {
  return { columns: [...table.columns], rows: table.rows.map((row) => [...row]) };
}

function streamedAt(text: string, cuts: readonly number[]): Plain {
  const parser = new StatsCsvParser("diff");
  let from = 0;
  for (const cut of cuts) {
    parser.write(text.slice(from, cut));
    from = cut;
  }
  parser.write(text.slice(from));
  return plain(parser.end());
}

/** mulberry32: a small seeded generator, so a failure reproduces. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Values as HAProxy could print them, and worse: commas, quotes, CR/LF inside cells.
const VALUES = [
  "", "", "", "0", "1", "12345", "UP", "UP 1/3", "DOWN (agent)", "MAINT (via be/s1)", "no check", "L7OK", "* L4CON",
  "Layer7 wrong status, code: 503, info: \"Service Unavailable\"", "a,b", ",", ",,", "\"", "\"\"", "say \"hi\"",
  "two\nlines", "crlf\r\ninside", "trailing\n", "\nleading", "ünïcødé ✓", " spaced ", "-",
];

function quoteIfNeeded(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** A statistics-shaped CSV with nasty quoting: mixed LF/CRLF, blank lines, a leading empty line. */
function nastyCsv(seed: number, rowCount: number): string {
  const next = random(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)];
  const columns = ["pxname", "svname", "status", "scur", "check_desc", "agent_desc", "-", "x_extra"];
  const eol = () => (next() < 0.5 ? "\n" : "\r\n");
  let text = next() < 0.5 ? eol() : "";
  text += `# ${columns.join(",")},${eol()}`;
  for (let r = 0; r < rowCount; r++) {
    const cells = columns.map((name, i) => (i === 0 ? `be${r % 3}` : i === 1 ? `s${r}` : name === "-" ? "-" : quoteIfNeeded(pick(VALUES))));
    text += `${cells.join(",")},${eol()}`;
    if (next() < 0.1) text += eol();
  }
  return text;
}

describe("stats CSV parser against csv-parse", () => {
  for (const fixture of statsCsvFixtures()) {
    it(`${fixture}: same table when split into two chunks at every offset`, () => {
      const text = readFixture(fixture);
      const expected = reference(text);
      assert.deepEqual(plain(parseStatsCsv(text, "diff")), expected);
      for (let cut = 0; cut <= text.length; cut++) {
        assert.deepEqual(streamedAt(text, [cut]), expected, `cut at ${cut}`);
      }
    });
  }

  for (const seed of [1, 2, 3, 4, 5]) {
    it(`generated CSV with nasty quoting (seed ${seed}): same table at every offset and in random chunkings`, () => {
      const text = nastyCsv(seed, 40);
      assert.ok(text.includes('""') && text.includes("\r\n") && /"[^"]*\n/.test(text), "the generator produced the hard cases");
      const expected = reference(text);
      assert.equal(expected.rows.length, 40);
      assert.deepEqual(plain(parseStatsCsv(text, "diff")), expected);
      for (let cut = 0; cut <= text.length; cut++) {
        assert.deepEqual(streamedAt(text, [cut]), expected, `cut at ${cut}`);
      }
      const next = random(seed * 7919);
      for (let trial = 0; trial < 200; trial++) {
        const pieces = 2 + Math.floor(next() * 30);
        const cuts = Array.from({ length: pieces }, () => Math.floor(next() * (text.length + 1))).sort((a, b) => a - b);
        assert.deepEqual(streamedAt(text, cuts), expected, `cuts ${cuts.join(",")}`);
      }
    });
  }

  it("a generated 10,000-server CSV: same table whole, in 64 KiB chunks and in odd-sized chunks", () => {
    const text = generateStatsCsv({ templateCsv: readFixture("haproxy-2.6/lb1-show-stat.csv"), backends: 10, serversPerBackend: 1000 });
    const expected = reference(text);
    assert.equal(expected.rows.length, 10 * 1001 + 1);
    assert.deepEqual(plain(parseStatsCsv(text, "diff")), expected);
    const chunked = (size: number) => Array.from({ length: Math.floor(text.length / size) }, (_, i) => (i + 1) * size);
    assert.deepEqual(streamedAt(text, chunked(64 * 1024)), expected);
    assert.deepEqual(streamedAt(text, chunked(4093)), expected);
  });
});
