// @ts-check
// AppInstance: one local app process (app.js) on a port of its own, chosen when it is
// created. Any change of what it runs replaces it, creating the new one first: the new
// process starts on a new port while the old one keeps serving until whatever depends on
// it (its BackendServer) has let go. The demo's stand-in for "a new container or VM".
"use strict";

const path = require("node:path");
const pulumi = require("@pulumi/pulumi");
// Reused, not copied: start and stop by pid file, as examples/rolling-deploy does.
const { DEFAULT_STATE_DIR, checkAppInputs, isOurApp, startApp, stopApp } = require("../rolling-deploy/app-process");

/** This example's app.js (it runs examples/rolling-deploy/app.js). */
const APP_SCRIPT = path.join(__dirname, "app.js");

/**
 * @typedef {object} AppInstanceArgs
 * @property {pulumi.Input<string>} name The instance's slot name (`app1`). The HAProxy server name is `<name>-<port>` (output `server`), unique while old and new instances run side by side; the app answers as that server (`<server> <version>`, header `x-served-by`).
 * @property {pulumi.Input<string>} version The version the app reports. A change replaces the instance (new process, new port).
 * @property {pulumi.Input<string>} [host] Address the app binds and HAProxy sends to. Default `127.0.0.1`.
 * @property {pulumi.Input<number>} [warmupMs] After start, the app answers 503 to everything (health checks included) for this long, in ms. Default 0.
 * @property {pulumi.Input<number>} [failPercent] A bad release: this share of real requests (not /check) answers 500, percent. Default 0.
 * @property {pulumi.Input<number>} [slowMs] A slow release: every real request takes this much longer, ms. Default 0.
 * @property {pulumi.Input<string>} [stateDir] Directory of the pid files and logs (`app-<port>.pid`, `app-<port>.log`). Default `<os.tmpdir()>/haproxy-cluster-demo`.
 * @property {pulumi.Input<string>} [script] The app's script: absolute, or relative to the Pulumi project directory. Default this example's `app.js`, relative.
 * @property {pulumi.Input<number>} [startTimeoutSeconds] Deadline for the new process to answer on its port, in seconds. Default 15.
 * @property {pulumi.Input<number>} [stopTimeoutSeconds] Deadline for the process to exit after SIGTERM when the instance is deleted, in seconds; then SIGKILL. Default 30.
 */

/** Inputs whose change only changes the record: the deadlines of the next start or stop. */
const RECORD_ONLY = ["startTimeoutSeconds", "stopTimeoutSeconds"];
/** Tries of a free port: another process may take the one found before the app binds it. */
const PORT_TRIES = 3;

/**
 * The inputs with defaults applied. The port is not an input: a stand-in lets the shared
 * checks run, and is dropped again.
 * @param {Record<string, unknown>} news
 */
function checkInstanceInputs(news) {
  const { inputs, failures } = checkAppInputs({ ...news, port: 1 });
  delete inputs.port;
  return { inputs, failures };
}

/**
 * A port nothing listens on now, from the kernel.
 * @param {string} host
 * @returns {Promise<number>}
 */
function freePort(host) {
  const net = require("node:net");
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once("error", reject);
    probe.listen(0, host, () => {
      const address = probe.address();
      const port = typeof address === "object" && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

/**
 * The provider object Pulumi serializes into the resource's state: functions and plain
 * data only (the functions of ../rolling-deploy/app-process.js go with it, by value).
 * @type {pulumi.dynamic.ResourceProvider}
 */
const appInstanceProvider = {
  async check(_olds, news) {
    return checkInstanceInputs(news);
  },

  async diff(_id, olds, news) {
    const inputs = /** @type {Record<string, unknown>} */ (checkInstanceInputs(news).inputs);
    // `__provider` is left out: new provider code alone is no reason to replace an app.
    const changed = Object.keys(inputs).filter((k) => k !== "__provider" && JSON.stringify(olds[k]) !== JSON.stringify(inputs[k]));
    const replaces = changed.filter((k) => !RECORD_ONLY.includes(k));
    // Create before delete: the new process takes a new port, the old one serves meanwhile.
    return { changes: changed.length > 0, replaces, deleteBeforeReplace: false };
  },

  async create(news) {
    const inputs = /** @type {import("../rolling-deploy/app-process").AppInputs} */ (/** @type {unknown} */ (checkInstanceInputs(news).inputs));
    for (let attempt = 1; ; attempt++) {
      const port = await freePort(inputs.host);
      const server = `${inputs.name}-${port}`;
      try {
        // The app answers as its server (header x-served-by), so users see which one served.
        const started = await startApp({ ...inputs, port, name: server });
        const address = `${inputs.host}:${port}`;
        return {
          id: address,
          outs: { ...inputs, port, server, address, pid: started.pid, url: `http://${address}/`, logFile: started.logFile, startedAt: new Date().toISOString(), running: true },
        };
      } catch (error) {
        if (attempt >= PORT_TRIES || !/EADDRINUSE/.test(String(/** @type {Error} */ (error).message))) throw error;
      }
    }
  },

  async update(_id, olds, news) {
    return { outs: { ...olds, ...checkInstanceInputs(news).inputs } };
  },

  async delete(_id, props) {
    await stopApp(/** @type {import("../rolling-deploy/app-process").AppInputs} */ (/** @type {unknown} */ (props)));
  },

  /** `pulumi refresh`: whether the process it started still runs. */
  async read(id, props) {
    const running = typeof props.pid === "number" && isOurApp(props.pid, props.port);
    return { id, props: { ...props, running } };
  },
};

/**
 * A local app process on a port of its own, serving `version`. Create starts it on a free
 * port and returns once that process answers (it may still be warming up: the
 * BackendServer in front of it waits for HAProxy's health checks); delete stops it
 * (SIGTERM, it finishes what is in flight). Any change but a deadline replaces it, new
 * before old.
 *
 * Outputs besides the inputs: `port`, `address` (`HOST:PORT`), `server` (`<name>-<port>`,
 * the HAProxy server name to give it), `pid`, `url`, `logFile`, `startedAt` (ISO 8601),
 * and `running` (after `pulumi refresh`: whether the process still runs).
 */
class AppInstance extends pulumi.dynamic.Resource {
  /**
   * @param {string} name
   * @param {AppInstanceArgs} args
   * @param {pulumi.CustomResourceOptions} [opts]
   */
  constructor(name, args, opts) {
    const props = {
      stateDir: DEFAULT_STATE_DIR,
      script: path.relative(process.cwd(), APP_SCRIPT) || APP_SCRIPT,
      ...args,
      // The outputs, named here (undefined) so that Pulumi creates them on the resource.
      port: undefined,
      address: undefined,
      server: undefined,
      pid: undefined,
      url: undefined,
      logFile: undefined,
      startedAt: undefined,
      running: undefined,
    };
    super(appInstanceProvider, name, props, opts, "haproxy-cluster-demo", "AppInstance");
    // Types only: Pulumi made every key of `props` an output of this resource above.
    /** @type {pulumi.Output<string>} */ this.name;
    /** @type {pulumi.Output<string>} */ this.version;
    /** @type {pulumi.Output<number>} */ this.port;
    /** @type {pulumi.Output<string>} */ this.address;
    /** @type {pulumi.Output<string>} */ this.server;
    /** @type {pulumi.Output<number>} */ this.pid;
    /** @type {pulumi.Output<string>} */ this.url;
    /** @type {pulumi.Output<boolean>} */ this.running;
  }
}

module.exports = { AppInstance, appInstanceProvider, DEFAULT_STATE_DIR };
