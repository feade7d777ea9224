// The statistics layer: HAProxy's CSV in, a header-indexed table of raw cells out, plus
// typed cell reads and the server status model. Callers import from here.

export { StatsCsvParser, parseStatsCsv } from "./csv";
export type { StatsTable, BadStatsReason } from "./csv";
export { intCell, stringCell, parseDecimal, rowRecord } from "./cells";
export { KNOWN_COLUMNS, columnSpec } from "./columns";
export type { ColumnKind, ColumnSpec } from "./columns";
export { parseServerStatus } from "./status";
export type { AdminState, HealthState, ServerStatus } from "./status";
