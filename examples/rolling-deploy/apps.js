#!/usr/bin/env node
// @ts-check
// Starts, stops and lists the demo's app servers by hand, with the pid files the
// AppServerDeployment resource uses: apps started here are the ones the first
// `pulumi up` finds running and replaces, one server at a time.
//
//   node apps.js start  [--version v0] [--warmup-ms 0] [--state-dir DIR] server1:9001 server2:9002 …
//   node apps.js stop   [--state-dir DIR] server1:9001 …
//   node apps.js status [--state-dir DIR] server1:9001 …
"use strict";

const fs = require("node:fs");
const path = require("node:path");
const { APP_SCRIPT, DEFAULT_STATE_DIR, checkAppInputs, isOurApp, probe, startApp, stopApp } = require("./app-process");

const USAGE = "usage: node apps.js start|stop|status [--version V] [--warmup-ms MS] [--state-dir DIR] <name>:<port>...";

/** @param {string[]} argv */
function parse(argv) {
  const [command, ...rest] = argv;
  if (!["start", "stop", "status"].includes(command ?? "")) throw new Error(USAGE);
  /** @type {Record<string, string>} */
  const flags = { version: "v0", "warmup-ms": "0", "state-dir": DEFAULT_STATE_DIR };
  /** @type {Array<{ name: string, port: number }>} */
  const servers = [];
  for (let i = 0; i < rest.length; i++) {
    const arg = /** @type {string} */ (rest[i]);
    if (arg.startsWith("--")) {
      const key = arg.slice(2);
      const value = rest[++i];
      if (!(key in flags) || value === undefined) throw new Error(`${USAGE} (bad option ${arg})`);
      flags[key] = value;
      continue;
    }
    const match = /^([A-Za-z0-9_.:-]+):(\d+)$/.exec(arg);
    if (!match) throw new Error(`${USAGE} (expected <name>:<port>, got ${JSON.stringify(arg)})`);
    servers.push({ name: /** @type {string} */ (match[1]), port: Number(match[2]) });
  }
  if (servers.length === 0) throw new Error(`${USAGE} (no server given)`);
  return { command, flags, servers };
}

async function main() {
  const { command, flags, servers } = parse(process.argv.slice(2));
  let failed = false;
  for (const server of servers) {
    const { inputs, failures } = checkAppInputs({
      ...server,
      version: flags.version,
      warmupMs: Number(flags["warmup-ms"]),
      stateDir: path.resolve(/** @type {string} */ (flags["state-dir"])),
      script: APP_SCRIPT,
    });
    if (failures.length > 0) throw new Error(failures.map((f) => `${f.property}: ${f.reason}`).join("; "));
    const app = /** @type {import("./app-process").AppInputs} */ (/** @type {unknown} */ (inputs));
    const pidFile = path.join(app.stateDir, `app-${app.port}.pid`);
    const pid = fs.existsSync(pidFile) ? Number(fs.readFileSync(pidFile, "utf8").trim()) : NaN;
    const running = Number.isInteger(pid) && isOurApp(pid, app.port);
    if (command === "start") {
      if (running) {
        console.log(`${app.name}: already running on port ${app.port} (pid ${pid}); left as it is`);
        continue;
      }
      const started = await startApp(app);
      console.log(`${app.name}: ${app.version} started on port ${app.port} (pid ${started.pid}, log ${started.logFile})`);
    } else if (command === "stop") {
      const stopped = await stopApp(app);
      console.log(stopped.pid === null ? `${app.name}: not running on port ${app.port}` : `${app.name}: stopped (pid ${stopped.pid}, ${stopped.outcome})`);
    } else {
      const answer = await probe(app.host, app.port);
      const serving = answer ? `answers ${answer.status} as ${answer.servedBy} ${answer.version}` : "nothing answers";
      console.log(`${app.name}: port ${app.port}: ${running ? `pid ${pid}` : "no app of ours"}; ${serving}`);
      if (!running) failed = true;
    }
  }
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(`apps.js: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(2);
  },
);
