// The statistics columns this package knows, as data: name → how to read the cell, the
// first release that wrote it, and what it means. Adding a column is one line here.
//
// Kinds follow HAProxy's own typed output (`show stat typed`: str → "string", u32/u64/s32
// → "int"); a test checks this table against the 2.6 fixture. `since` is the first tag
// in shared/fixtures/stats-csv/columns-by-version.txt that lists the column; another test
// fails when a release adds a column missing here. Columns after the `-` marker (2.3+:
// ssl_*, h1_*, h2_*, quic_* …) depend on the build and are deliberately not listed: the
// parser keeps them, the model does not rely on them.

/** How a cell is read: `int` through intCell (empty → undefined), `string` through stringCell. */
export type ColumnKind = "int" | "string";

export interface ColumnSpec {
  /** How the cell is read. */
  readonly kind: ColumnKind;
  /** First HAProxy release whose CSV has the column (tag in columns-by-version.txt, without the `v`). */
  readonly since: string;
  /** What the cell holds, with its unit. */
  readonly meaning: string;
}

const int = (since: string, meaning: string): ColumnSpec => ({ kind: "int", since, meaning });
const str = (since: string, meaning: string): ColumnSpec => ({ kind: "string", since, meaning });

/** Every fixed column of every release from 1.3.15 to master, by header name. */
export const KNOWN_COLUMNS: Readonly<Record<string, ColumnSpec>> = Object.freeze({
  pxname: str("1.3.15", "proxy (frontend, backend or listen section) name"),
  svname: str("1.3.15", "server name, or FRONTEND / BACKEND, or a listener name"),
  qcur: int("1.3.15", "requests waiting in the queue now (the session backlog)"),
  qmax: int("1.3.15", "highest qcur seen"),
  scur: int("1.3.15", "current sessions"),
  smax: int("1.3.15", "highest scur seen"),
  slim: int("1.3.15", "configured session limit (maxconn)"),
  stot: int("1.3.15", "sessions since start (counter)"),
  bin: int("1.3.15", "bytes received (counter)"),
  bout: int("1.3.15", "bytes sent (counter)"),
  dreq: int("1.3.15", "requests denied by rules (counter)"),
  dresp: int("1.3.15", "responses denied by rules (counter)"),
  ereq: int("1.3.15", "request errors (counter)"),
  econ: int("1.3.15", "errors connecting to a server (counter)"),
  eresp: int("1.3.15", "response errors (counter)"),
  wretr: int("1.3.15", "connection retries (counter)"),
  wredis: int("1.3.15", "redispatches to another server (counter)"),
  status: str("1.3.15", "UP / DOWN / NOLB / DRAIN / MAINT … for servers, OPEN / STOP for frontends: see status.ts"),
  weight: int("1.3.15", "effective weight (server) or total weight (backend)"),
  act: int("1.3.15", "1 for an active server; active servers up (backend)"),
  bck: int("1.3.15", "1 for a backup server; backup servers up (backend)"),
  chkfail: int("1.3.15", "failed health checks (counter)"),
  chkdown: int("1.3.15", "UP→DOWN transitions (counter)"),
  lastchg: int("1.3.15", "seconds since the last status change"),
  downtime: int("1.3.15", "seconds spent down in total"),
  qlimit: int("1.3.15", "queue limit (server maxqueue)"),
  pid: int("1.3.15", "worker process number, from 1"),
  iid: int("1.3.15", "proxy numeric id"),
  sid: int("1.3.15", "server numeric id inside its proxy"),
  throttle: int("1.3.15", "slowstart throttle, percent"),
  lbtot: int("1.3.15", "times the server was picked by load balancing (counter)"),
  tracked: str("1.3.15", "`proxy/server` whose health this server tracks"),
  type: int("1.3.15", "0 frontend, 1 backend, 2 server, 3 listener"),
  rate: int("1.3.23", "sessions per second over the last second"),
  rate_lim: int("1.3.23", "configured sessions-per-second limit"),
  rate_max: int("1.3.23", "highest rate seen"),
  check_status: str("1.4.0", "last health check result (L4OK, L7OK, L7STS …), `* ` prefix while a check runs"),
  check_code: int("1.4.0", "HTTP/SMTP/LDAP code of the last health check"),
  check_duration: int("1.4.0", "duration of the last health check, milliseconds"),
  hrsp_1xx: int("1.4.0", "HTTP responses 1xx (counter)"),
  hrsp_2xx: int("1.4.0", "HTTP responses 2xx (counter)"),
  hrsp_3xx: int("1.4.0", "HTTP responses 3xx (counter)"),
  hrsp_4xx: int("1.4.0", "HTTP responses 4xx (counter)"),
  hrsp_5xx: int("1.4.0", "HTTP responses 5xx (counter)"),
  hrsp_other: int("1.4.0", "HTTP responses with another code (counter)"),
  hanafail: int("1.4.0", "failed health analyses, `observe` (counter)"),
  req_rate: int("1.4.0", "HTTP requests per second over the last second"),
  req_rate_max: int("1.4.0", "highest req_rate seen"),
  req_tot: int("1.4.0", "HTTP requests (counter)"),
  cli_abrt: int("1.4.1", "transfers aborted by the client (counter)"),
  srv_abrt: int("1.4.1", "transfers aborted by the server (counter)"),
  comp_in: int("1.5.0", "bytes fed to the compressor (counter)"),
  comp_out: int("1.5.0", "bytes out of the compressor (counter)"),
  comp_byp: int("1.5.0", "bytes that bypassed the compressor (counter)"),
  comp_rsp: int("1.5.0", "compressed HTTP responses (counter)"),
  lastsess: int("1.5.0", "seconds since the last session; -1 when there was none"),
  last_chk: str("1.5.0", "text of the last health check report"),
  last_agt: str("1.5.0", "text of the last agent check report"),
  qtime: int("1.5.0", "average queue time over the last 1024 requests, milliseconds"),
  ctime: int("1.5.0", "average connect time over the last 1024 requests, milliseconds"),
  rtime: int("1.5.0", "average response time over the last 1024 requests, milliseconds"),
  ttime: int("1.5.0", "average total time over the last 1024 requests, milliseconds"),
  agent_status: str("1.7.0", "last agent check result, `* ` prefix while a check runs"),
  agent_code: int("1.7.0", "code reported by the last agent check"),
  agent_duration: int("1.7.0", "duration of the last agent check, milliseconds"),
  check_desc: str("1.7.0", "human description of the last health check"),
  agent_desc: str("1.7.0", "human description of the last agent check"),
  check_rise: int("1.7.0", "successful checks needed to go up (rise)"),
  check_fall: int("1.7.0", "failed checks needed to go down (fall)"),
  check_health: int("1.7.0", "health counter, 0 … rise+fall-1"),
  agent_rise: int("1.7.0", "agent rise"),
  agent_fall: int("1.7.0", "agent fall"),
  agent_health: int("1.7.0", "agent health counter"),
  addr: str("1.7.0", "server address:port; empty on the HTTP page without `stats show-legends`"),
  cookie: str("1.7.0", "cookie name (backend) or value (server); hidden like addr"),
  mode: str("1.7.0", "proxy mode: tcp, http, health, cli, spop"),
  algo: str("1.7.0", "load-balancing algorithm (backend); hidden like addr"),
  conn_rate: int("1.7.0", "connections per second over the last second (frontend)"),
  conn_rate_max: int("1.7.0", "highest conn_rate seen"),
  conn_tot: int("1.7.0", "connections (counter)"),
  intercepted: int("1.7.0", "requests answered by HAProxy itself (counter)"),
  dcon: int("1.7.0", "connections denied by tcp-request connection rules (counter)"),
  dses: int("1.7.0", "sessions denied by tcp-request session rules (counter)"),
  wrew: int("1.9.0", "failed header rewrites (counter)"),
  connect: int("1.9.0", "connection attempts to servers (counter)"),
  reuse: int("1.9.0", "reused server connections (counter)"),
  cache_lookups: int("1.9.0", "cache lookups (counter)"),
  cache_hits: int("1.9.0", "cache hits (counter)"),
  srv_icur: int("2.1.0", "idle server connections available now"),
  src_ilim: int("2.1.0", "idle connection limit (HAProxy spells it src_ilim)"),
  qtime_max: int("2.1.0", "highest queue time seen, milliseconds"),
  ctime_max: int("2.1.0", "highest connect time seen, milliseconds"),
  rtime_max: int("2.1.0", "highest response time seen, milliseconds"),
  ttime_max: int("2.1.0", "highest total time seen, milliseconds"),
  eint: int("2.2.0", "internal errors (counter)"),
  idle_conn_cur: int("2.2.0", "unsafe idle connections now"),
  safe_conn_cur: int("2.2.0", "safe idle connections now"),
  used_conn_cur: int("2.2.0", "server connections in use now"),
  need_conn_est: int("2.2.0", "estimated connections needed"),
  uweight: int("2.3.0", "configured (user) weight"),
  agg_server_check_status: int("2.5.0", "deprecated aggregate of server statuses (backend)"),
  agg_server_status: int("2.8.0", "aggregate of server statuses (backend); some 2.6/2.7 builds have it too"),
  agg_check_status: int("2.8.0", "aggregate of check statuses (backend)"),
  srid: int("2.8.0", "server id revision"),
  sess_other: int("2.8.0", "non-HTTP sessions (counter)"),
  h1sess: int("2.8.0", "HTTP/1 sessions (counter)"),
  h2sess: int("2.8.0", "HTTP/2 sessions (counter)"),
  h3sess: int("2.8.0", "HTTP/3 sessions (counter)"),
  req_other: int("2.8.0", "non-HTTP requests (counter)"),
  h1req: int("2.8.0", "HTTP/1 requests (counter)"),
  h2req: int("2.8.0", "HTTP/2 requests (counter)"),
  h3req: int("2.8.0", "HTTP/3 requests (counter)"),
  proto: str("2.9.0", "listener protocol name"),
  priv_idle_cur: int("3.3.0", "private idle connections now"),
  reqbin: int("3.3.0", "request bytes received (counter)"),
  reqbout: int("3.3.0", "request bytes sent (counter)"),
  resbin: int("3.3.0", "response bytes received (counter)"),
  resbout: int("3.3.0", "response bytes sent (counter)"),
  cache_hint_hits: int("HEAD", "cache hint hits (counter)"),
});

/** The spec of a column, or undefined for a column this table does not know. */
export function columnSpec(name: string): ColumnSpec | undefined {
  return Object.prototype.hasOwnProperty.call(KNOWN_COLUMNS, name) ? KNOWN_COLUMNS[name] : undefined;
}
