// @ts-check
// AppServerDeployment: one local app server (app.js) running on a port and serving a
// version. Create and update stop whatever was started on that port (by its pid file),
// then start the new process; delete stops it. The demo's stand-in for "deploy a release".
"use strict";

const path = require("node:path");
const pulumi = require("@pulumi/pulumi");
const { APP_SCRIPT, DEFAULT_STATE_DIR, checkAppInputs, isOurApp, restartApp, stopApp } = require("./app-process");

/**
 * @typedef {import("./app-process").AppInputs} AppInputs
 */

/**
 * @typedef {object} AppServerDeploymentArgs
 * @property {pulumi.Input<string>} name The app's name, reported in its answers (`<name> <version>`, header `x-served-by`). Usually the HAProxy server name.
 * @property {pulumi.Input<number>} port TCP port the app listens on (the HAProxy server's port). A change replaces the resource.
 * @property {pulumi.Input<string>} version The version the app reports. A change restarts the app.
 * @property {pulumi.Input<string>} [host] Address the app binds. Default `127.0.0.1`. A change replaces the resource.
 * @property {pulumi.Input<number>} [warmupMs] After start, the app answers 503 to everything (health checks included) for this long, in ms. Default 0. A change restarts the app.
 * @property {pulumi.Input<number>} [failPercent] A bad release: this share of real requests (not /check) answers 500, percent. Default 0. A change restarts the app.
 * @property {pulumi.Input<number>} [slowMs] A slow release: every real request takes this much longer, ms. Default 0. A change restarts the app.
 * @property {pulumi.Input<string>} [stateDir] Directory of the pid files and logs (`app-<port>.pid`, `app-<port>.log`). Default `<os.tmpdir()>/haproxy-cluster-demo`. A change replaces the resource.
 * @property {pulumi.Input<string>} [script] The app's script: absolute, or relative to the Pulumi project directory (the provider's working directory). Default this example's `app.js`, written relative to the project directory so that state does not hold this machine's path.
 * @property {pulumi.Input<number>} [startTimeoutSeconds] Deadline for the new process to answer on its port, in seconds. Default 15.
 * @property {pulumi.Input<number>} [stopTimeoutSeconds] Deadline for the old process to exit after SIGTERM, in seconds; then it gets SIGKILL. Default 30.
 */

/** Inputs whose change restarts the app (update); the others only change the record. */
const RESTART_ON = ["name", "version", "warmupMs", "failPercent", "slowMs", "script"];
/** Inputs whose change means another process in another place: replace, deleting first. */
const REPLACE_ON = ["port", "host", "stateDir"];

/** @param {Record<string, unknown>} props */
function appInputs(props) {
  return /** @type {AppInputs} */ (/** @type {unknown} */ (checkAppInputs(props).inputs));
}

/**
 * The provider object Pulumi serializes into the resource's state: functions and plain
 * data only (the functions of app-process.js are serialized with it, by value).
 * @type {pulumi.dynamic.ResourceProvider}
 */
const appServerProvider = {
  async check(_olds, news) {
    return checkAppInputs(news);
  },

  async diff(_id, olds, news) {
    const inputs = /** @type {Record<string, unknown>} */ (checkAppInputs(news).inputs);
    // `__provider` is left out: new provider code alone is no reason to restart an app.
    const changed = Object.keys(inputs).filter((k) => k !== "__provider" && JSON.stringify(olds[k]) !== JSON.stringify(inputs[k]));
    const replaces = changed.filter((k) => REPLACE_ON.includes(k));
    // The new process needs the port and pid file the old one holds: delete first.
    return { changes: changed.length > 0, replaces, deleteBeforeReplace: replaces.length > 0 };
  },

  async create(news) {
    const inputs = appInputs(news);
    return { id: `${inputs.host}:${inputs.port}`, outs: await restartApp(inputs) };
  },

  async update(_id, olds, news) {
    const inputs = appInputs(news);
    const restart = RESTART_ON.some((k) => JSON.stringify(olds[k]) !== JSON.stringify(/** @type {Record<string, unknown>} */ (/** @type {unknown} */ (inputs))[k]));
    if (!restart) return { outs: { ...olds, ...inputs } };
    return { outs: await restartApp(inputs) };
  },

  async delete(_id, props) {
    await stopApp(appInputs(props));
  },

  /** `pulumi refresh`: whether the process it started still runs. */
  async read(id, props) {
    const inputs = appInputs(props);
    const pid = props.pid;
    const running = typeof pid === "number" && isOurApp(pid, inputs.port);
    return { id, props: { ...props, running } };
  },
};

/**
 * A local app server process on `port`, serving `version`. Create and update restart it
 * (SIGTERM to the old process, wait for it to exit, start the new one, wait until it
 * answers: it may still be warming up); delete stops it. Under RollingDeploy, pass on the
 * `opts` that `deploy` receives, so that it runs only once its server is drained.
 *
 * Outputs besides the inputs: `pid`, `url`, `logFile`, `startedAt` (ISO 8601),
 * `previousPid` and `previousStop` (`none` / `SIGTERM` / `SIGKILL`: how the process it
 * replaced ended), and `running` (after `pulumi refresh`: whether the process still runs).
 */
class AppServerDeployment extends pulumi.dynamic.Resource {
  /**
   * @param {string} name
   * @param {AppServerDeploymentArgs} args
   * @param {pulumi.CustomResourceOptions} [opts]
   */
  constructor(name, args, opts) {
    const props = {
      stateDir: DEFAULT_STATE_DIR,
      script: path.relative(process.cwd(), APP_SCRIPT) || APP_SCRIPT,
      ...args,
      // The outputs, named here (undefined) so that Pulumi creates them on the resource.
      pid: undefined,
      url: undefined,
      logFile: undefined,
      startedAt: undefined,
      previousPid: undefined,
      previousStop: undefined,
      running: undefined,
    };
    super(appServerProvider, name, props, opts, "haproxy-cluster-demo", "AppServerDeployment");
    // Types only: Pulumi made every key of `props` an output of this resource above.
    /** @type {pulumi.Output<string>} */ this.name;
    /** @type {pulumi.Output<number>} */ this.port;
    /** @type {pulumi.Output<string>} */ this.version;
    /** @type {pulumi.Output<number>} */ this.pid;
    /** @type {pulumi.Output<string>} */ this.url;
    /** @type {pulumi.Output<string>} */ this.logFile;
    /** @type {pulumi.Output<string>} */ this.startedAt;
    /** @type {pulumi.Output<number | null>} */ this.previousPid;
    /** @type {pulumi.Output<"none" | "SIGTERM" | "SIGKILL">} */ this.previousStop;
    /** @type {pulumi.Output<boolean>} */ this.running;
  }
}

module.exports = { AppServerDeployment, appServerProvider, DEFAULT_STATE_DIR };
