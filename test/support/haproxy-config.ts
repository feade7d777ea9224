// Renders the HAProxy configuration the rig runs: one frontend to the first backend,
// HTTP health checks, a stats page, and three Runtime API sockets (admin, user, TCP).

export interface ServerSpec {
  name: string;
  port: number;
  /** Address HAProxy sends to. Default 127.0.0.1 (any 127.x.y.z reaches the loopback). */
  address?: string;
  /** Health-check this server. Default true; false shows as status "no check". */
  check?: boolean;
  backup?: boolean;
  weight?: number;
  /** Persistence cookie value (only used when the backend has `cookie: true`). Default: the server name. */
  cookie?: string;
}

export interface CheckSpec {
  /** Default "/check". */
  path?: string;
  /** Interval between checks, in ms. Default 500. */
  interMs?: number;
  /** Consecutive successes to go UP. Default 2. */
  rise?: number;
  /** Consecutive failures to go DOWN. Default 2. */
  fall?: number;
}

export interface BackendSpec {
  name: string;
  servers: ServerSpec[];
  check?: CheckSpec;
  /** Insert a SERVERID cookie for persistence. Default false. */
  cookie?: boolean;
  /** Lines appended to the backend after its servers (a `server-template`, say). */
  extraLines?: string[];
}

export interface HaproxyOptions {
  /** Names the instance and its frontend (`fe_<name>`); letters, digits, `_ . : -`. */
  name: string;
  /** The frontend routes to the first one. At least one. */
  backends: BackendSpec[];
  /** Default {user: "admin", password: "s3cret-<random>"}; null for a stats page without auth. */
  statsAuth?: { user: string; password: string } | null;
  /** `stats admin if TRUE` on the stats page. Default true. */
  statsAdmin?: boolean;
  /**
   * Keep runtime state across reloads, as the README's configuration does: a
   * `server-state-file` in the instance's dir and `load-server-state-from-file global`.
   * `reload({ saveState: true })` writes the state just before reloading. Default false.
   */
  serverStateFile?: boolean;
  /** Lines appended to `global`. */
  extraGlobal?: string[];
  /** Lines appended to `defaults`. */
  extraDefaults?: string[];
}

/** Everything the config needs that is decided at run time. */
export interface ConfigPlaces {
  dir: string;
  frontendPort: number;
  statsPort: number;
  runtimePort: number;
  statsAuth: { user: string; password: string } | null;
}

/** Where an instance with `serverStateFile` keeps its saved server states. */
export function serverStatePath(dir: string): string {
  return `${dir}/server-state`;
}

const NAME = /^[A-Za-z0-9_.:-]+$/;

function checkName(kind: string, name: string): string {
  if (!NAME.test(name)) throw new Error(`haproxy config: ${kind} name ${JSON.stringify(name)} must match ${NAME}`);
  return name;
}

function serverLine(server: ServerSpec, cookies: boolean): string {
  const parts = [`server ${checkName("server", server.name)} ${server.address ?? "127.0.0.1"}:${server.port}`];
  if (server.check !== false) parts.push("check");
  if (server.backup) parts.push("backup");
  if (server.weight !== undefined) parts.push(`weight ${server.weight}`);
  if (cookies) parts.push(`cookie ${server.cookie ?? server.name}`);
  return parts.join(" ");
}

function backendSection(backend: BackendSpec): string[] {
  const check = backend.check ?? {};
  return [
    `backend ${checkName("backend", backend.name)}`,
    `    option httpchk GET ${check.path ?? "/check"}`,
    `    default-server inter ${check.interMs ?? 500}ms rise ${check.rise ?? 2} fall ${check.fall ?? 2}`,
    ...(backend.cookie ? ["    cookie SERVERID insert indirect nocache"] : []),
    ...backend.servers.map((s) => `    ${serverLine(s, backend.cookie === true)}`),
    ...(backend.extraLines ?? []).map((line) => `    ${line}`),
    "",
  ];
}

export function renderConfig(options: HaproxyOptions, places: ConfigPlaces): string {
  const name = checkName("instance", options.name);
  if (options.backends.length === 0) throw new Error(`haproxy ${name}: at least one backend is needed`);
  const { dir, statsAuth } = places;
  return [
    "global",
    `    pidfile ${dir}/haproxy.pid`,
    `    stats socket ${dir}/admin.sock mode 600 level admin`,
    `    stats socket ${dir}/user.sock mode 600 level user`,
    `    stats socket ipv4@127.0.0.1:${places.runtimePort} level admin`,
    ...(options.serverStateFile ? [`    server-state-file ${serverStatePath(dir)}`] : []),
    ...(options.extraGlobal ?? []).map((line) => `    ${line}`),
    "",
    "defaults",
    "    mode http",
    "    timeout connect 1s",
    // Without it a check must complete within `inter` (200 ms in fast rigs): on a loaded
    // machine a healthy app then fails checks and flaps (seen as "UP 1/2" after ready --wait).
    // Refused connections and 503s, which the tests use to fail checks, still fail at once.
    "    timeout check 5s",
    "    timeout client 30s",
    "    timeout server 30s",
    "    option redispatch",
    "    retries 3",
    ...(options.serverStateFile ? ["    load-server-state-from-file global"] : []),
    ...(options.extraDefaults ?? []).map((line) => `    ${line}`),
    "",
    `frontend fe_${name}`,
    `    bind 127.0.0.1:${places.frontendPort}`,
    `    default_backend ${options.backends[0].name}`,
    "",
    ...options.backends.flatMap(backendSection),
    "listen stats",
    `    bind 127.0.0.1:${places.statsPort}`,
    "    stats enable",
    "    stats uri /stats",
    ...(statsAuth ? [`    stats auth ${statsAuth.user}:${statsAuth.password}`] : []),
    ...(options.statsAdmin === false ? [] : ["    stats admin if TRUE"]),
    "",
  ].join("\n");
}
