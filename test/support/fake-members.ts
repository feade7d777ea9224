// Peers that look like a member but misbehave, for the product's error paths: silence,
// HTML instead of CSV, a CSV cut short, a login form, a port or socket nobody listens on.
import { spawn } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { freePort } from "./ports";
import { trackDir, trackPid, trackStop, untrackPid } from "./registry";

export interface FakeMember {
  /** http://127.0.0.1:<port>/stats: the fakes answer every path, /stats reads like a member spec. */
  url: string;
  port: number;
  close(): Promise<void>;
}

/** A fake member that also tells what connections it accepted. */
export interface ObservedFakeMember extends FakeMember {
  /** Every connection accepted so far, with when it was accepted (Date.now()). */
  connections(): ReadonlyArray<{ openedAt: number }>;
}

function portOf(server: net.Server): number {
  const address = server.address();
  if (typeof address !== "object" || address === null) throw new Error("fake member: server has no TCP address");
  return address.port;
}

/** Listens on a free port, tracks every socket so close() never waits on a client. */
async function serve(label: string, server: net.Server): Promise<ObservedFakeMember> {
  const sockets = new Set<net.Socket>();
  const connections: Array<{ openedAt: number }> = [];
  server.on("connection", (socket: net.Socket) => {
    connections.push({ openedAt: Date.now() });
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const port = portOf(server);
  let untrack = (): void => undefined;
  const close = async (): Promise<void> => {
    untrack();
    for (const socket of sockets) socket.destroy();
    if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  untrack = trackStop(`fake member ${label} :${port}`, close);
  return { url: `http://127.0.0.1:${port}/stats`, port, connections: () => connections, close };
}

/** Accepts TCP connections and never sends a byte. */
export function startBlackhole(): Promise<ObservedFakeMember> {
  return serve("blackhole", net.createServer(() => undefined));
}

export interface StaticResponse {
  /** Default 200. */
  status?: number;
  headers?: http.OutgoingHttpHeaders;
}

/** Answers every request with the same complete response (e.g. a CSV cut mid-line, an empty body). */
export function startStaticServer(body: string, response: StaticResponse = {}): Promise<FakeMember> {
  const server = http.createServer((_req, res) => {
    res.writeHead(response.status ?? 200, { "content-length": Buffer.byteLength(body), ...response.headers });
    res.end(body);
  });
  return serve("static", server);
}

/** 200 with an HTML page where CSV was expected. */
export function startHtmlServer(): Promise<FakeMember> {
  const page = "<!DOCTYPE html>\n<html><head><title>Statistics Report</title></head><body><h1>Not CSV</h1></body></html>\n";
  return startStaticServer(page, { headers: { "content-type": "text/html" } });
}

/** 200 with a login form, as a single-sign-on proxy in front of the stats page would answer. */
export function startLoginFormServer(): Promise<FakeMember> {
  const page = [
    "<!DOCTYPE html>",
    "<html><head><title>Sign in</title></head><body>",
    '<form method="post" action="/login">',
    '<input name="username"><input name="password" type="password"><button>Sign in</button>',
    "</form></body></html>",
    "",
  ].join("\n");
  return startStaticServer(page, { headers: { "content-type": "text/html; charset=utf-8" } });
}

/** Promises the whole CSV (content-length), sends the first half, then drops the connection. */
export function startTruncatedCsvServer(csv: string): Promise<FakeMember> {
  const bytes = Buffer.from(csv);
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { "content-type": "text/csv", "content-length": bytes.length });
    res.write(bytes.subarray(0, Math.floor(bytes.length / 2)), () => res.socket?.destroy());
  });
  return serve("truncated-csv", server);
}

/** A port on 127.0.0.1 that nothing listens on, so connecting is refused. */
export function refusedPort(): Promise<number> {
  return freePort();
}

/**
 * A unix socket file nobody listens on, as a process killed with SIGKILL leaves it (an
 * HAProxy that crashed): the path exists, connecting is refused. In a directory of its own,
 * removed after the test run.
 */
export async function deadSocket(): Promise<string> {
  const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), "hc-dead-socket-"));
  trackDir(dir);
  const socketPath = path.join(dir, "admin.sock");
  const child = spawn(process.execPath, ["-e", `require("node:net").createServer().listen(${JSON.stringify(socketPath)}, () => process.stdout.write("listening\\n"))`], { stdio: ["ignore", "pipe", "inherit"] });
  trackPid(child.pid!, "dead-socket listener");
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once("data", () => resolve());
    child.once("exit", (code) => reject(new Error(`dead-socket listener exited early (${code})`)));
  });
  child.kill("SIGKILL");
  await exited;
  untrackPid(child.pid!);
  return socketPath;
}
