// Typed reads of raw statistics cells. HAProxy leaves a cell empty when the value does not
// apply (a frontend has no qcur, an unchecked server no check_status), and "not
// applicable" must never turn into 0: every accessor answers undefined instead.

import { columnSpec } from "./columns";
import type { StatsTable } from "./csv";

/**
 * The cell at position `i` as an integer, or undefined when the column is missing
 * (`i` undefined, e.g. `table.index.get("uweight")` on 1.4), the cell is empty, or it is
 * not a plain decimal integer (no spaces, signs other than a leading `-`, exponents or
 * hex). Values beyond 2^53 (u64 byte counters after ~9 PB) come back rounded.
 */
export function intCell(row: readonly string[], i: number | undefined): number | undefined {
  if (i === undefined || i < 0 || i >= row.length) return undefined;
  return parseDecimal(row[i]);
}

/** The cell at position `i` as a string, or undefined when the column is missing or the cell is empty. */
export function stringCell(row: readonly string[], i: number | undefined): string | undefined {
  if (i === undefined || i < 0 || i >= row.length) return undefined;
  const cell = row[i];
  return cell === "" ? undefined : cell;
}

/** Strict decimal integer parse: Number() would read "" as 0 and " 1", "1e3", "0x10" as numbers. */
export function parseDecimal(text: string): number | undefined {
  const n = text.length;
  if (n === 0) return undefined;
  let k = 0;
  const negative = text.charCodeAt(0) === 45; // "-": lastsess is -1 when there was no session
  if (negative) {
    if (n === 1) return undefined;
    k = 1;
  }
  let value = 0;
  for (; k < n; k++) {
    const digit = text.charCodeAt(k) - 48;
    if (digit < 0 || digit > 9) return undefined;
    value = value * 10 + digit;
  }
  // Past 15 digits the running product may round differently from the decimal value.
  if (n - (negative ? 1 : 0) > 15) value = Number(text.slice(negative ? 1 : 0));
  return negative ? 0 - value : value;
}

/**
 * One row as an object keyed by column name, each known column read by its kind from
 * KNOWN_COLUMNS and every other column (after `-`, or newer than this package) as a
 * string; empty cells are left out. Meant for output and debugging: the model reads
 * single cells with intCell / stringCell, which is cheaper.
 */
export function rowRecord(table: StatsTable, row: readonly string[]): Record<string, number | string> {
  const record: Record<string, number | string> = {};
  table.columns.forEach((name, i) => {
    if (name in record) return;
    const value = columnSpec(name)?.kind === "int" ? intCell(row, i) : stringCell(row, i);
    if (value !== undefined) record[name] = value;
  });
  return record;
}
