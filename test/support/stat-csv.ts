// Reads HAProxy's `show stat` CSV by header name (positions move between builds), just
// well enough for the rig's own waits; the product has its own, stricter parser.

export type StatRow = Readonly<Record<string, string>>;

/** UP with a passing layer-7 check (`* L7OK` while the check is running): the rig's "serving" for waits. */
export const checkedUp = (row: StatRow): boolean => row.status === "UP" && row.check_status.replace(/^\* /, "") === "L7OK";

/** Splits CSV into rows of cells, honouring quotes (a quoted cell may hold commas and newlines). */
function cells(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (cell += '"'), i++;
      else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") row.push(cell), (cell = "");
    else if (c === "\n") row.push(cell), rows.push(row), (row = []), (cell = "");
    else if (c !== "\r") cell += c;
  }
  if (cell !== "" || row.length > 0) row.push(cell), rows.push(row);
  return rows.filter((r) => r.length > 1 || r[0] !== "");
}

export function parseStatCsv(text: string): StatRow[] {
  const [header, ...body] = cells(text);
  if (!header || !header[0].startsWith("# ")) {
    throw new Error(`not HAProxy stats CSV (no "# " header): ${JSON.stringify(text.slice(0, 200))}`);
  }
  const names = header.map((name, i) => (i === 0 ? name.slice(2) : name));
  return body.map((row) => Object.fromEntries(names.map((name, i) => [name, row[i] ?? ""])));
}
