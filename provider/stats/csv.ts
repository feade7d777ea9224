// Turns HAProxy's statistics CSV (stats page `;csv`, Runtime API `show stat`, a saved file)
// into a header-indexed table of raw cells, streaming, and rejects anything else with
// HC_BAD_STATS. Meaning (types, statuses) is applied later: see cells.ts and status.ts.
//
// Why hand-written rather than csv-parse: csv-parse manages ~10 MB/s, and a cluster of
// large members is polled every few seconds. HAProxy quotes a cell only when it holds a
// comma, a quote, CR or LF (csv_enc_append in src/tools.c), which almost never happens, so
// a line without `"` is split with String#split (native, and V8 shares the strings of
// one-character and empty cells). Only a record containing a quote takes the slow path, a
// small state machine rather than csv-parse: it must also tell "record not finished yet"
// when a chunk ends inside quotes, which csv-parse/sync cannot, and it keeps the hot loop
// free of a dependency. A differential test holds both paths to csv-parse's output.

import { HcError } from "../errors";

/** A parsed statistics answer. Cells are raw strings, exactly as HAProxy wrote them (quotes removed). */
export interface StatsTable {
  /** Header names in order, `# ` and the trailing empty name removed, spaces trimmed (1.4.0). Includes `-` and every column after it. */
  readonly columns: readonly string[];
  /** Column position by name (first occurrence). Read cells by name, never by a fixed position. */
  readonly index: ReadonlyMap<string, number>;
  /** One array per data row, one cell per column (the empty cell after the trailing comma dropped). */
  readonly rows: readonly (readonly string[])[];
}

/** Why an answer was rejected, in `HcError.details.reason`: callers may retry `empty` and `truncated`. */
export type BadStatsReason = "empty" | "html" | "not-csv" | "no-stats-header" | "truncated" | "too-many-cells";

// A first line longer than this without a newline is not a stats header (2.6's is ~1.4 KB).
const MAX_HEADER_CHARS = 64 * 1024;
const QUOTE = 34;
const COMMA = 44;
const LF = 10;
const CR = 13;

/**
 * Streaming parser: feed the answer as it arrives with `write`, then call `end` for the
 * table. Chunks may split anywhere (inside a line, a quoted cell or a CRLF). Throws
 * HcError HC_BAD_STATS as soon as the input is known to be bad; after that every call
 * throws the same error.
 */
export class StatsCsvParser {
  private readonly member: string;
  /** Text not yet turned into rows: a partial line, or a quoted record not yet closed. */
  private carry = "";
  /** carry[0, scanFrom) is known to hold no LF (header phase) or no LF and no quote (data phase). */
  private scanFrom = 0;
  private columns: string[] | undefined;
  private index: Map<string, number> | undefined;
  /** Whether the header ended with a comma, as HAProxy's always does: rows must too. */
  private trailingComma = false;
  private readonly rows: string[][] = [];
  private failure: HcError | undefined;
  private table: StatsTable | undefined;

  /** @param member the member spec, credentials already redacted: every error message starts with it. */
  constructor(member: string) {
    this.member = member;
  }

  write(chunk: string): void {
    if (this.failure) throw this.failure;
    if (this.table) throw new Error("StatsCsvParser.write called after end");
    if (chunk.length === 0) return;
    this.guard(() => {
      if (this.carry.length === 0) return this.consume(chunk, false);
      // Finish the pending record with the chunk's first line only, then parse the rest of
      // the chunk in place: `carry + chunk` would copy every chunk into a fresh string, and
      // cells sliced from those copies measurably slow down the garbage collector.
      const nl = chunk.indexOf("\n");
      if (nl === -1 || nl === chunk.length - 1) return this.consume(this.carry + chunk, false);
      this.consume(this.carry + chunk.slice(0, nl + 1), false);
      const rest = chunk.slice(nl + 1);
      this.consume(this.carry.length === 0 ? rest : this.carry + rest, false);
    });
  }

  end(): StatsTable {
    if (this.failure) throw this.failure;
    if (this.table) return this.table;
    const text = this.carry;
    this.carry = "";
    this.guard(() => this.consume(text, true));
    if (!this.columns || !this.index) {
      throw this.fail("empty", "empty answer, as HAProxy gives right after a reload; try again.");
    }
    this.table = { columns: this.columns, index: this.index, rows: this.rows };
    return this.table;
  }

  private guard(work: () => void): void {
    try {
      work();
    } catch (error) {
      if (error instanceof HcError) this.failure = error;
      throw error;
    }
  }

  /** Consumes every complete record of `text`; keeps the rest in `carry` unless `final`. */
  private consume(text: string, final: boolean): void {
    let pos = 0;
    const hint = this.scanFrom;
    this.scanFrom = 0;

    while (!this.columns) {
      const nl = text.indexOf("\n", pos === 0 ? hint : pos);
      if (nl === -1) {
        const line = text.slice(pos);
        if (final) {
          if (line.trim() !== "") this.acceptHeader(line, true);
          return;
        }
        this.judgeUnfinishedFirstLine(line);
        this.carry = line;
        this.scanFrom = line.length;
        return;
      }
      const line = text.slice(pos, nl);
      pos = nl + 1;
      if (line.trim() !== "") this.acceptHeader(line, false);
    }

    const n = text.length;
    let quote = text.indexOf('"', pos === 0 ? hint : pos);
    for (;;) {
      const nl = text.indexOf("\n", pos === 0 ? hint : pos);
      if (quote !== -1 && quote < (nl === -1 ? n : nl)) {
        const next = this.quotedRecord(text, pos, final);
        if (next === -1) {
          // The record goes on in the next chunk: keep it whole and rescan it then (quoted
          // records are short and rare; the transport's size limit bounds a runaway one).
          this.carry = text.slice(pos);
          return;
        }
        pos = next;
        quote = text.indexOf('"', pos);
        continue;
      }
      if (nl === -1) break;
      let lineEnd = nl;
      if (lineEnd > pos && text.charCodeAt(lineEnd - 1) === CR) lineEnd--;
      if (lineEnd > pos) this.addRow(text.slice(pos, lineEnd).split(","));
      pos = nl + 1;
    }

    const rest = pos === 0 ? text : text.slice(pos);
    if (!final) {
      // No LF and no quote in `rest`, or the loop above would have handled it.
      this.carry = rest;
      this.scanFrom = rest.length;
    } else if (rest.trim() !== "") {
      throw this.fail("truncated", `the answer ends in the middle of row ${this.rows.length + 1} (no final newline), so it is truncated; try again.`);
    }
  }

  /** Parses one record that holds a quote, starting at `start`; returns the index after its LF, or -1 if the text ends first. */
  private quotedRecord(text: string, start: number, final: boolean): number {
    const n = text.length;
    const cells: string[] = [];
    let i = start;
    for (;;) {
      let cell = "";
      if (i < n && text.charCodeAt(i) === QUOTE) {
        let from = i + 1;
        for (;;) {
          const q = text.indexOf('"', from);
          // q + 1 === n: cannot tell a closing quote from the first half of `""` yet.
          if (q === -1 || (q + 1 === n && !final)) {
            if (final) {
              throw this.fail("truncated", `the answer ends inside a quoted cell of row ${this.rows.length + 1}, so it is truncated; try again.`);
            }
            return -1;
          }
          cell += text.slice(from, q);
          if (q + 1 < n && text.charCodeAt(q + 1) === QUOTE) {
            cell += '"';
            from = q + 2;
            continue;
          }
          i = q + 1;
          break;
        }
      }
      // Unquoted text (or text after a closing quote, kept as is: HAProxy never writes it,
      // and dropping it would hide damage). A quote here is a literal character.
      let j = i;
      while (j < n) {
        const c = text.charCodeAt(j);
        if (c === COMMA || c === LF) break;
        j++;
      }
      if (j === n) {
        if (final) {
          throw this.fail("truncated", `the answer ends in the middle of row ${this.rows.length + 1} (no final newline), so it is truncated; try again.`);
        }
        return -1;
      }
      const isEnd = text.charCodeAt(j) === LF;
      const segmentEnd = isEnd && j > i && text.charCodeAt(j - 1) === CR ? j - 1 : j;
      cells.push(segmentEnd > i ? cell + text.slice(i, segmentEnd) : cell);
      if (!isEnd) {
        i = j + 1;
        continue;
      }
      this.addRow(cells);
      return j + 1;
    }
  }

  private addRow(cells: string[]): void {
    const width = (this.columns as string[]).length;
    const count = cells.length;
    const lastEmpty = cells[count - 1] === "";
    // HAProxy ends every line, header included, with a comma: one empty cell more than
    // named columns. A row that ends like its header is whole; with a trailing-comma header,
    // a row one cell short whose last cell is empty lost its final cell, not its comma.
    if (count === width + 1 && lastEmpty) {
      cells.pop();
    } else if (count !== width || (this.trailingComma && lastEmpty)) {
      const named = this.trailingComma && lastEmpty ? count - 1 : count;
      if (named < width) {
        throw this.fail(
          "truncated",
          `row ${this.rows.length + 1}${this.rowName(cells)} has ${named} of the ${width} cells the header names, so the answer is truncated; try again.`,
        );
      }
      throw this.fail(
        "too-many-cells",
        `row ${this.rows.length + 1}${this.rowName(cells)} has ${named} cells where the header names only ${width} columns, which HAProxy never writes; check that the member is a HAProxy stats page or Runtime API socket.`,
      );
    }
    this.rows.push(cells);
  }

  private rowName(cells: readonly string[]): string {
    const px = this.index?.get("pxname");
    const sv = this.index?.get("svname");
    if (px === undefined || sv === undefined || px >= cells.length || sv >= cells.length) return "";
    return ` (${cells[px]}/${cells[sv]})`;
  }

  /** Validates the first non-blank line; `unfinished` means the input ended before its newline. */
  private acceptHeader(rawLine: string, unfinished: boolean): void {
    const line = stripBom(rawLine).replace(/\r$/, "");
    if (!line.startsWith("# ")) throw this.foreign(line);
    const names = line.slice(2).split(",");
    for (let k = 0; k < names.length; k++) names[k] = names[k].trim(); // 1.4.0: `req_rate, req_rate_max, req_tot,`
    this.trailingComma = names.length > 1 && names[names.length - 1] === "";
    if (this.trailingComma) names.pop();
    if (!names.includes("pxname") || !names.includes("svname")) {
      throw this.fail(
        "no-stats-header",
        `the answer's "# " header line names no pxname and svname columns, so it is not statistics CSV (perhaps "show info" or "show servers state" output); check that the member answers "show stat".`,
      );
    }
    if (unfinished) {
      throw this.fail("truncated", "the answer ends inside the header line (no newline after it), so it is truncated; try again.");
    }
    const index = new Map<string, number>();
    names.forEach((name, position) => {
      if (!index.has(name)) index.set(name, position);
    });
    this.columns = Object.freeze(names) as string[];
    this.index = index;
  }

  /** Rejects early, before its newline arrives, a first line that cannot become a header (an HTML page, say). */
  private judgeUnfinishedFirstLine(line: string): void {
    const start = stripBom(line).trimStart();
    if (start.length >= 2 && !start.startsWith("# ")) throw this.foreign(start);
    if (line.length > MAX_HEADER_CHARS) {
      throw this.fail("not-csv", `the answer's first line is longer than ${MAX_HEADER_CHARS} characters, which no statistics header is; check that the member is a HAProxy stats page or Runtime API socket.`);
    }
  }

  private foreign(line: string): HcError {
    const start = line.trimStart();
    if (/^<|<!doctype|<html|<head|<body|<form/i.test(start)) {
      return this.fail(
        "html",
        "the answer is an HTML page, not statistics CSV; check that the URL is the stats page (;csv is added for you) and that it is not behind a login page.",
      );
    }
    const excerpt = start.length > 60 ? `${start.slice(0, 60)}…` : start;
    return this.fail(
      "not-csv",
      `the answer starts with ${JSON.stringify(excerpt)} instead of HAProxy's "# pxname,svname,…" statistics header; check that the member is a HAProxy stats page or Runtime API socket.`,
    );
  }

  private fail(reason: BadStatsReason, sentence: string): HcError {
    this.failure = new HcError("HC_BAD_STATS", `${this.member}: ${sentence}`, { member: this.member, reason });
    return this.failure;
  }
}

function stripBom(line: string): string {
  return line.charCodeAt(0) === 0xfeff ? line.slice(1) : line;
}

/** Parses a whole statistics answer at once; same rules and errors as StatsCsvParser. */
export function parseStatsCsv(text: string, member: string): StatsTable {
  const parser = new StatsCsvParser(member);
  parser.write(text);
  return parser.end();
}
