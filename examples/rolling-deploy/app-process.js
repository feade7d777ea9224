// @ts-check
// Starting and stopping the demo's app servers (app.js) by pid file: shared by the
// AppServerDeployment provider and the apps.js command. No Pulumi here. The provider's
// copy of these functions runs from the text Pulumi serializes into state, so they
// capture no handles and require node modules where they use them.
"use strict";

const path = require("node:path");
const os = require("node:os");

/** The app, next to this file. */
const APP_SCRIPT = path.join(__dirname, "app.js");

/** Where pid files and logs go unless told otherwise. */
const DEFAULT_STATE_DIR = path.join(os.tmpdir(), "haproxy-cluster-demo");

/**
 * One app's settings with defaults applied (the AppServerDeployment inputs).
 * @typedef {object} AppInputs
 * @property {string} name
 * @property {number} port
 * @property {string} version
 * @property {string} host
 * @property {number} warmupMs
 * @property {number} failPercent
 * @property {number} slowMs
 * @property {string} stateDir
 * @property {string} script
 * @property {number} startTimeoutSeconds
 * @property {number} stopTimeoutSeconds
 */

/**
 * What stopping the previous process did: `none` (nothing of ours was running), `SIGTERM`
 * (it exited after SIGTERM) or `SIGKILL` (it did not exit by the deadline).
 * @typedef {"none" | "SIGTERM" | "SIGKILL"} StopOutcome
 */

/** The value the engine sends during preview for an input it does not know yet. */
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/**
 * Applies the defaults and names every malformed setting. Values not known yet (preview)
 * pass unchecked.
 * @param {Record<string, unknown>} news
 * @returns {{ inputs: Record<string, unknown>, failures: Array<{ property: string, reason: string }> }}
 */
function checkAppInputs(news) {
  /** @type {Record<string, unknown>} */
  const inputs = {
    host: "127.0.0.1",
    warmupMs: 0,
    failPercent: 0,
    slowMs: 0,
    startTimeoutSeconds: 15,
    stopTimeoutSeconds: 30,
    ...Object.fromEntries(Object.entries(news).filter(([, v]) => v !== undefined && v !== null)),
  };
  /** @type {Array<{ property: string, reason: string }>} */
  const failures = [];
  /** @param {string} key @param {(v: unknown) => boolean} ok @param {string} reason */
  const expect = (key, ok, reason) => {
    const value = inputs[key];
    if (value === UNKNOWN) return; // preview: not known yet, checked again on up
    if (!ok(value)) failures.push({ property: key, reason: `${reason}, got ${JSON.stringify(value)}` });
  };
  const text = (/** @type {unknown} */ v) => typeof v === "string" && v.length > 0;
  const seconds = (/** @type {unknown} */ v) => typeof v === "number" && v > 0;
  expect("name", text, "name must be a non-empty string");
  expect("version", text, "version must be a non-empty string");
  expect("script", text, "script must be a path");
  expect("stateDir", text, "stateDir must be a path");
  expect("host", text, "host must be an address");
  expect("port", (v) => typeof v === "number" && Number.isInteger(v) && v > 0 && v < 65536, "port must be a TCP port 1-65535");
  expect("warmupMs", (v) => typeof v === "number" && v >= 0, "warmupMs must be a number of milliseconds ≥ 0");
  expect("failPercent", (v) => typeof v === "number" && v >= 0 && v <= 100, "failPercent must be a percentage 0-100");
  expect("slowMs", (v) => typeof v === "number" && v >= 0, "slowMs must be a number of milliseconds ≥ 0");
  expect("startTimeoutSeconds", seconds, "startTimeoutSeconds must be a number of seconds > 0");
  expect("stopTimeoutSeconds", seconds, "stopTimeoutSeconds must be a number of seconds > 0");
  return { inputs, failures };
}

/** @param {AppInputs} inputs */
function placesOf(inputs) {
  const path = require("node:path");
  return {
    pidFile: path.join(inputs.stateDir, `app-${inputs.port}.pid`),
    logFile: path.join(inputs.stateDir, `app-${inputs.port}.log`),
    // Relative scripts are relative to the project directory, the provider's working directory.
    script: path.resolve(process.cwd(), inputs.script),
  };
}

/**
 * Whether `pid` is a live process that is our app on `port`. A pid file can outlive its
 * process and the number can be reused: on Linux the command line must name the port.
 * @param {number} pid
 * @param {number} port
 */
function isOurApp(pid, port) {
  const fs = require("node:fs");
  try {
    process.kill(pid, 0);
  } catch {
    // ESRCH: gone. EPERM: alive but not ours to signal, so not a process we started.
    return false;
  }
  let stat;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    // No /proc (macOS): trust the pid file. Or it exited between the two calls.
    return fs.existsSync("/proc/self/stat") ? false : true;
  }
  // A zombie has exited; only its parent has not collected it yet.
  const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
  if (state === "Z" || state === "X") return false;
  let argv;
  try {
    argv = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
  } catch {
    return false; // it exited between the two reads
  }
  const at = argv.indexOf("--port");
  return at >= 0 && argv[at + 1] === String(port);
}

/** @param {number} ms */
function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Stops the app this resource started on `port` (by its pid file): SIGTERM, then waits
 * for it to exit; SIGKILL at the deadline.
 * @param {AppInputs} inputs
 * @returns {Promise<{ pid: number | null, outcome: StopOutcome }>}
 */
async function stopApp(inputs) {
  const fs = require("node:fs");
  const { pidFile } = placesOf(inputs);
  let pid = NaN;
  try {
    pid = Number(fs.readFileSync(pidFile, "utf8").trim());
  } catch (error) {
    if (/** @type {NodeJS.ErrnoException} */ (error).code !== "ENOENT") throw error;
  }
  if (!Number.isInteger(pid) || pid <= 0 || !isOurApp(pid, inputs.port)) {
    fs.rmSync(pidFile, { force: true });
    return { pid: null, outcome: "none" };
  }
  /** @type {StopOutcome} */
  let outcome = "SIGTERM";
  process.kill(pid, "SIGTERM");
  const deadline = Date.now() + inputs.stopTimeoutSeconds * 1000;
  while (isOurApp(pid, inputs.port)) {
    if (Date.now() >= deadline) {
      if (outcome === "SIGKILL") {
        throw new Error(`app on port ${inputs.port} (pid ${pid}) is still running 5 s after SIGKILL; stop it by hand, then run pulumi up again.`);
      }
      console.error(`app on port ${inputs.port} (pid ${pid}) did not exit within ${inputs.stopTimeoutSeconds} s of SIGTERM: sending SIGKILL`);
      outcome = "SIGKILL";
      process.kill(pid, "SIGKILL");
      // SIGKILL cannot be ignored: a short wait for the kernel is all that is left.
      const killDeadline = Date.now() + 5000;
      while (isOurApp(pid, inputs.port) && Date.now() < killDeadline) await sleep(100);
      continue;
    }
    await sleep(100);
  }
  fs.rmSync(pidFile, { force: true });
  return { pid, outcome };
}

/**
 * One GET / to the app; resolves with its identifying headers, or null when nothing answers.
 * @param {string} host
 * @param {number} port
 * @returns {Promise<{ status: number, servedBy: string, version: string, pid: string } | null>}
 */
function probe(host, port) {
  const http = require("node:http");
  return new Promise((resolve) => {
    const req = http.get({ host, port, path: "/", agent: false, timeout: 1000 }, (res) => {
      res.resume();
      const header = (/** @type {string} */ name) => String(res.headers[name] ?? "");
      resolve({ status: res.statusCode ?? 0, servedBy: header("x-served-by"), version: header("x-app-version"), pid: header("x-app-pid") });
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", () => resolve(null));
  });
}

/** @param {string} file */
function tail(file) {
  const fs = require("node:fs");
  try {
    return fs.readFileSync(file, "utf8").trim().split("\n").slice(-5).join("\n");
  } catch {
    return "(no log)";
  }
}

/**
 * Starts app.js detached (it outlives the provider process), records its pid, and waits
 * until that very process answers on its port. It may still be warming up (503): the
 * readiness gate after the deploy waits for HAProxy's health checks, not this.
 * @param {AppInputs} inputs
 */
async function startApp(inputs) {
  const fs = require("node:fs");
  const { spawn } = require("node:child_process");
  const { pidFile, logFile, script } = placesOf(inputs);
  if (!fs.existsSync(script)) throw new Error(`app script ${script} does not exist (script ${JSON.stringify(inputs.script)} is relative to the project directory ${process.cwd()}).`);
  fs.mkdirSync(inputs.stateDir, { recursive: true });
  const log = fs.openSync(logFile, "a");
  let child;
  try {
    const args = [script, "--port", String(inputs.port), "--name", inputs.name, "--version", inputs.version, "--warmup-ms", String(inputs.warmupMs), "--host", inputs.host];
    // Only when set, so an app started by an older copy of this file is still recognised.
    if (inputs.failPercent) args.push("--fail-percent", String(inputs.failPercent));
    if (inputs.slowMs) args.push("--slow-ms", String(inputs.slowMs));
    child = spawn(process.execPath, args, { detached: true, stdio: ["ignore", log, log], cwd: inputs.stateDir });
  } finally {
    fs.closeSync(log);
  }
  const pid = child.pid;
  if (pid === undefined) throw new Error(`cannot start ${process.execPath} ${script}: see ${logFile}`);
  /** @type {number | null} */
  let exitCode = null;
  child.on("exit", (code, signal) => void (exitCode = code ?? (signal ? 128 : 1)));
  child.unref();
  fs.writeFileSync(pidFile, `${pid}\n`);

  const deadline = Date.now() + inputs.startTimeoutSeconds * 1000;
  for (;;) {
    if (exitCode !== null) {
      fs.rmSync(pidFile, { force: true });
      throw new Error(`app ${inputs.name} ${inputs.version} exited (code ${exitCode}) before answering on ${inputs.host}:${inputs.port}; its log ${logFile} ends:\n${tail(logFile)}`);
    }
    const answer = await probe(inputs.host, inputs.port);
    if (answer && answer.pid === String(pid)) return { pid, logFile };
    if (Date.now() >= deadline) {
      const seen = answer ? `answered, but as ${answer.servedBy} ${answer.version} pid ${answer.pid}` : "nothing answered";
      throw new Error(`app ${inputs.name} ${inputs.version} (pid ${pid}) did not answer on ${inputs.host}:${inputs.port} within ${inputs.startTimeoutSeconds} s (${seen}); see ${logFile}. It is left running; the next pulumi up stops it by its pid file.`);
    }
    await sleep(100);
  }
}

/**
 * Stops the app running on the port (if this resource started one), starts the new one.
 * @param {AppInputs} inputs
 */
async function restartApp(inputs) {
  const stopped = await stopApp(inputs);
  const started = await startApp(inputs);
  return {
    ...inputs,
    pid: started.pid,
    url: `http://${inputs.host}:${inputs.port}/`,
    logFile: started.logFile,
    startedAt: new Date().toISOString(),
    previousPid: stopped.pid,
    previousStop: stopped.outcome,
    running: true,
  };
}

module.exports = { APP_SCRIPT, DEFAULT_STATE_DIR, UNKNOWN, checkAppInputs, isOurApp, stopApp, startApp, restartApp, probe };
