#!/usr/bin/env node
// @ts-check
// The demo's app server: answers `<name> <version>` on every path, /check for HAProxy's
// health checks, and /slow?ms=N after N ms. On SIGTERM it stops accepting, finishes what
// is in flight, and exits: what a rolling deploy expects of a well-behaved server.
// --fail-percent and --slow-ms make a bad release that still passes /check: that share
// of real requests answers 500, every real request takes that much longer.
//
//   node app.js --port 9001 --name server1 --version v1 [--warmup-ms 2000] [--host 127.0.0.1]
//               [--fail-percent 20] [--slow-ms 200]
"use strict";

const http = require("node:http");

/**
 * @param {string[]} argv
 * @returns {{ port: number, name: string, version: string, warmupMs: number, host: string, failPercent: number, slowMs: number }}
 */
function parseArgs(argv) {
  /** @type {Record<string, string>} */
  const flags = {};
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i];
    const value = argv[i + 1];
    if (!key || !key.startsWith("--") || value === undefined) {
      throw new Error(`usage: app.js --port P --name N --version V [--warmup-ms MS] [--host H] (bad argument ${JSON.stringify(key)})`);
    }
    flags[key.slice(2)] = value;
  }
  const port = Number(flags.port);
  const warmupMs = Number(flags["warmup-ms"] ?? "0");
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be a TCP port, got ${JSON.stringify(flags.port)}`);
  if (!flags.name) throw new Error("--name is required");
  if (!flags.version) throw new Error("--version is required");
  if (!Number.isFinite(warmupMs) || warmupMs < 0) throw new Error(`--warmup-ms must be a number of milliseconds ≥ 0, got ${JSON.stringify(flags["warmup-ms"])}`);
  const failPercent = Number(flags["fail-percent"] ?? "0");
  const slowMs = Number(flags["slow-ms"] ?? "0");
  if (!(failPercent >= 0 && failPercent <= 100)) throw new Error(`--fail-percent must be 0 to 100, got ${JSON.stringify(flags["fail-percent"])}`);
  if (!(slowMs >= 0)) throw new Error(`--slow-ms must be a number of milliseconds ≥ 0, got ${JSON.stringify(flags["slow-ms"])}`);
  return { port, name: flags.name, version: flags.version, warmupMs, host: flags.host ?? "127.0.0.1", failPercent, slowMs };
}

function main() {
  let options;
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (error) {
    console.error(`app: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(2);
  }
  const { port, name, version, warmupMs, host, failPercent, slowMs } = options;
  const warmUntil = Date.now() + warmupMs;
  let stopping = false;
  let realRequests = 0;
  // Exactly failPercent of real requests fail, spread evenly (not at random): the n-th fails when the quota steps up.
  const failsNow = () => {
    realRequests++;
    return Math.floor((realRequests * failPercent) / 100) > Math.floor(((realRequests - 1) * failPercent) / 100);
  };

  const server = http.createServer((req, res) => {
    res.setHeader("x-served-by", name);
    res.setHeader("x-app-version", version);
    res.setHeader("x-app-pid", String(process.pid));
    res.setHeader("content-type", "text/plain; charset=utf-8");
    // Once stopping, tell keep-alive clients not to come back on this connection.
    if (stopping) res.setHeader("connection", "close");
    const url = new URL(req.url ?? "/", "http://app");
    if (Date.now() < warmUntil) {
      res.writeHead(503).end(`${name} ${version} warming up\n`);
    } else if (url.pathname === "/check") {
      res.writeHead(200).end("ok\n");
    } else if (failsNow()) {
      res.writeHead(500).end(`${name} ${version} failed\n`);
    } else if (url.pathname === "/slow") {
      // A long request, to watch a graceful stop finish it: /slow?ms=5000 (at most 60 s).
      const ms = Math.min(Math.max(Number(url.searchParams.get("ms")) || 0, 0), 60_000) + slowMs;
      setTimeout(() => res.writeHead(200).end(`${name} ${version} after ${ms} ms\n`), ms);
    } else if (slowMs > 0) {
      setTimeout(() => res.writeHead(200).end(`${name} ${version}\n`), slowMs);
    } else {
      res.writeHead(200).end(`${name} ${version}\n`);
    }
  });

  server.on("error", (error) => {
    // EADDRINUSE and friends: say so and exit, so whoever started us sees it at once.
    console.error(`app ${name}: cannot listen on ${host}:${port}: ${error.message}`);
    process.exit(1);
  });

  server.listen(port, host, () => {
    const address = server.address();
    const bound = typeof address === "object" && address ? address.port : port;
    console.log(`app ${name} ${version} pid ${process.pid} listening ${bound}${warmupMs > 0 ? ` (warming up for ${warmupMs} ms)` : ""}`);
  });

  process.on("SIGTERM", () => {
    if (stopping) return;
    stopping = true;
    console.log(`app ${name} ${version}: SIGTERM, finishing requests in flight`);
    // close() stops accepting and waits for open requests; idle keep-alive connections go now.
    server.close(() => {
      console.log(`app ${name} ${version}: stopped`);
      process.exit(0);
    });
    server.closeIdleConnections();
  });
}

main();
