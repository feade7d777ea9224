// A stand-in backend server, run as its own process so a test can stop, restart and
// steer it like a real one: readiness, warm-up and slow requests are all driven from
// outside through /__control, and SIGTERM shuts it down gracefully. A bad version
// (--fail-percent: that share of real requests answer 500 while /check passes) and a
// slow one (--slow-ms added to every real request) stand for releases that pass health
// checks but hurt users.
//   node app-server-main.js --port P [--host 127.0.0.1] --name N --version V [--warmup-ms W] [--fail-percent P] [--slow-ms MS]
import http from "node:http";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    port: { type: "string" },
    host: { type: "string", default: "127.0.0.1" },
    name: { type: "string" },
    version: { type: "string", default: "1.0.0" },
    "warmup-ms": { type: "string", default: "0" },
    "fail-percent": { type: "string", default: "0" },
    "slow-ms": { type: "string", default: "0" },
  },
});
const name = values.name;
const version = values.version ?? "1.0.0";
const port = Number(values.port);
const warmupMs = Number(values["warmup-ms"]);
let failPercent = Number(values["fail-percent"]);
let slowMs = Number(values["slow-ms"]);
const validBehaviour = (fail: number, slow: number): boolean => fail >= 0 && fail <= 100 && slow >= 0;
if (!name || !Number.isInteger(port) || port < 0 || !(warmupMs >= 0) || !validBehaviour(failPercent, slowMs)) {
  process.stderr.write("usage: app-server-main --port P --name N [--version V] [--warmup-ms W] [--fail-percent P] [--slow-ms MS]\n");
  process.exit(2);
}

// POST /__control/warmup ends the warm-up early: a test that must act while the app still
// warms up gives it a long warm-up and ends it when it is done, rather than racing a timer.
let warmUntil = Date.now() + warmupMs;
let ready = true;
let stopping = false;
let openRequests = 0;
let realRequests = 0;
// Requests being held (/hold, slowMs): POST /__control/release answers them all now, so a
// test can hold a session for as long as it needs one instead of guessing a duration.
const held = new Set<() => void>();

/** Fails exactly failPercent of real requests, spread evenly: the n-th fails when the running quota steps up. */
function failsNow(): boolean {
  realRequests++;
  return Math.floor((realRequests * failPercent) / 100) > Math.floor(((realRequests - 1) * failPercent) / 100);
}

const warming = (): boolean => Date.now() < warmUntil;
const serving = (): boolean => ready && !warming();
const state = () => ({ name, version, ready, warming: warming(), openRequests, failPercent, slowMs });

function send(res: http.ServerResponse, status: number, body: string, headers: http.OutgoingHttpHeaders = {}): void {
  // Once stopping, ask every client (HAProxy included) to drop its keep-alive connection,
  // otherwise an idle pooled connection would hold the graceful stop open.
  if (stopping) headers.connection = "close";
  res.writeHead(status, { "content-type": "text/plain", ...headers });
  res.end(body);
}

function control(req: http.IncomingMessage, res: http.ServerResponse, path: string): void {
  if (path === "/__control/state" && req.method === "GET") {
    return send(res, 200, JSON.stringify(state()), { "content-type": "application/json" });
  }
  if (path === "/__control/ready" && req.method === "POST") {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString()));
    req.on("end", () => {
      if (body.trim() !== "1" && body.trim() !== "0") return send(res, 400, "body must be 1 or 0\n");
      ready = body.trim() === "1";
      send(res, 200, JSON.stringify(state()), { "content-type": "application/json" });
    });
    return;
  }
  if (path === "/__control/release" && req.method === "POST") {
    req.resume();
    req.on("end", () => {
      const released = held.size;
      for (const finish of [...held]) finish();
      send(res, 200, JSON.stringify({ released }), { "content-type": "application/json" });
    });
    return;
  }
  if (path === "/__control/warmup" && req.method === "POST") {
    req.resume();
    req.on("end", () => {
      warmUntil = 0;
      send(res, 200, JSON.stringify(state()), { "content-type": "application/json" });
    });
    return;
  }
  if (path === "/__control/behaviour" && req.method === "POST") {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString()));
    req.on("end", () => {
      const asked = JSON.parse(body || "{}") as { failPercent?: number; slowMs?: number };
      const fail = asked.failPercent ?? failPercent;
      const slow = asked.slowMs ?? slowMs;
      if (!validBehaviour(fail, slow)) return send(res, 400, "failPercent must be 0-100 and slowMs ≥ 0\n");
      failPercent = fail;
      slowMs = slow;
      send(res, 200, JSON.stringify(state()), { "content-type": "application/json" });
    });
    return;
  }
  send(res, 404, "unknown control endpoint\n");
}

function app(req: http.IncomingMessage, res: http.ServerResponse, url: URL): void {
  openRequests++;
  let counted = true;
  res.once("close", () => {
    if (counted) openRequests--;
    counted = false;
  });
  const servedBy = { "x-served-by": `${name}/${version}` };
  if (!serving()) return send(res, 503, `${name} ${version} ${warming() ? "warming up" : "not ready"}\n`, servedBy);
  if (failsNow()) return send(res, 500, `${name} ${version} failed\n`, servedBy);
  const holdMs = (url.pathname === "/hold" ? Number(url.searchParams.get("ms") ?? "1000") : 0) + slowMs;
  if (holdMs === 0) return send(res, 200, `${name} ${version}`, servedBy);
  const finish = (): void => {
    clearTimeout(timer);
    held.delete(finish);
    if (!res.headersSent) send(res, 200, `${name} ${version}`, servedBy);
  };
  const timer = setTimeout(finish, holdMs);
  held.add(finish);
  res.once("close", () => {
    clearTimeout(timer);
    held.delete(finish);
  });
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url ?? "/", "http://app.invalid");
  if (url.pathname.startsWith("/__control/")) return control(req, res, url.pathname);
  if (url.pathname === "/check") {
    return serving() ? send(res, 200, "ok") : send(res, 503, warming() ? "warming up" : "not ready");
  }
  app(req, res, url);
});

server.on("error", (error) => {
  process.stderr.write(`${name}: ${error.message}\n`);
  process.exit(1);
});

server.listen(port, values.host ?? "127.0.0.1", () => {
  const address = server.address();
  const actual = typeof address === "object" && address !== null ? address.port : port;
  process.stdout.write(`listening ${actual}\n`);
});

process.on("SIGTERM", () => {
  stopping = true;
  // close() stops accepting and resolves once in-flight requests have finished.
  server.close(() => process.exit(0));
  server.closeIdleConnections();
});
