// @ts-check
// The rolling deploy of the demo, as a function of the library so that two Pulumi
// projects share it: this example (library installed from npm or `file:../..`) and the
// repository's own demo program (library required from the checkout).
"use strict";

const pulumi = require("@pulumi/pulumi");
const { AppServerDeployment, DEFAULT_STATE_DIR } = require("./app-deployment");
const { settings } = require("./config-settings");

/**
 * @typedef {object} ServerSpec
 * @property {string} name The HAProxy server name in the backend (e.g. `server1`).
 * @property {number} port The port its app listens on (HAProxy's `server <name> 127.0.0.1:<port>`).
 */

/**
 * Reads the stack config (see README.md) and declares the rolling deploy: gate, then per
 * batch drain → deploy → put back and gate. Returns the stack outputs.
 * @param {typeof import("haproxy-cluster/pulumi")} cluster the library's Pulumi module
 */
function rollingDeployProgram(cluster) {
  const config = new pulumi.Config();
  const members = config.requireObject("members");
  const servers = parseServers(config.requireObject("servers"));
  const version = config.require("version");
  const backend = config.get("backend") ?? "myapp";
  const batchSize = config.getNumber("batchSize") ?? 1;
  const warmupMs = config.getNumber("warmupMs") ?? 0;
  // A bad or slow release on purpose, to see the analysis stop the rollout.
  const failPercent = config.getNumber("failPercent") ?? 0;
  const slowMs = config.getNumber("slowMs") ?? 0;
  const stateDir = config.get("stateDir") ?? DEFAULT_STATE_DIR;

  /** @type {Partial<import("haproxy-cluster/pulumi").RollingDeployArgs>} */
  const optional = {};
  const username = config.get("statsUser");
  const password = config.getSecret("statsPassword");
  if (username !== undefined) optional.username = username;
  if (password !== undefined) optional.password = password;
  const gate = settings(config.getObject("gate"), "gate", GATE_KEYS);
  const drain = settings(config.getObject("drain"), "drain", DRAIN_KEYS);
  if (gate !== undefined) optional.gate = gate;
  if (drain !== undefined) optional.drain = drain;
  const analysis = settings(config.getObject("analysis"), "analysis", ANALYSIS_KEYS);
  if (analysis !== undefined) optional.analysis = analysis;

  const portOf = new Map(servers.map((s) => [s.name, s.port]));
  /** @type {Map<string, AppServerDeployment>} */
  const deployments = new Map();

  const rollout = new cluster.RollingDeploy("rollout", {
    ...optional,
    members: /** @type {string[]} */ (members),
    backend,
    servers: servers.map((s) => s.name),
    batchSize,
    // A new version runs the whole chain again: drains are taken anew, gates re-run.
    triggers: [version],
    deploy: (server, opts) => {
      const deployment = new AppServerDeployment(
        `deploy-${server}`,
        { name: server, port: /** @type {number} */ (portOf.get(server)), version, warmupMs, stateDir, ...(failPercent ? { failPercent } : {}), ...(slowMs ? { slowMs } : {}) },
        opts,
      );
      deployments.set(server, deployment);
      return deployment;
    },
  });

  return {
    /** When the last gate passed: every server back in rotation and the backend safe. */
    passedAt: rollout.done.passedAt,
    /** The cluster as the last gate saw it. */
    health: rollout.done.health,
    /** The version each server's app now serves, e.g. `{ server1: "v2", … }`. */
    versions: pulumi.all(servers.map((s) => /** @type {AppServerDeployment} */ (deployments.get(s.name)).version)).apply((vs) =>
      Object.fromEntries(servers.map((s, i) => [s.name, vs[i]])),
    ),
    /** With config `analysis`: the last verdict per server (numbers on both sides). */
    analyses: rollout.analyses,
    /** Where each app answers directly (bypassing HAProxy). */
    appUrls: Object.fromEntries(servers.map((s) => [s.name, /** @type {AppServerDeployment} */ (deployments.get(s.name)).url])),
  };
}

/** What config `gate` may set (RollingDeployArgs.gate). */
const GATE_KEYS = ["thresholdPercent", "minChecks", "intervalSeconds", "timeoutSeconds"];
/** What config `analysis` may set (RollingDeployArgs.analysis). */
const ANALYSIS_KEYS = ["bakeSeconds", "timeoutSeconds", "minRequests", "maxErrorPercent", "maxErrorPercentOverPeers", "responseTimeFactor", "responseTimeFloorMs", "intervalSeconds", "onFailure", "onNotEnoughTraffic"];
/** What config `drain` may set (RollingDeployArgs.drain). */
const DRAIN_KEYS = ["mode", "waitForSessions", "sessionsTimeoutSeconds", "onSessionsTimeout", "minOtherServing", "force"];

/**
 * @param {unknown} value config `servers`
 * @returns {ServerSpec[]}
 */
function parseServers(value) {
  const usage = 'config servers must be a list of {"name": "<HAProxy server name>", "port": <app port>}, e.g. [{"name":"server1","port":9001}]';
  if (!Array.isArray(value) || value.length === 0) throw new Error(`${usage}; got ${JSON.stringify(value)}`);
  const seen = new Set();
  return value.map((entry) => {
    const ok = entry && typeof entry.name === "string" && entry.name.length > 0 && Number.isInteger(entry.port) && entry.port > 0 && entry.port < 65536;
    if (!ok) throw new Error(`${usage}; got ${JSON.stringify(entry)}`);
    for (const key of ["name", "port"]) {
      if (seen.has(`${key}:${entry[key]}`)) throw new Error(`config servers: ${key} ${JSON.stringify(entry[key])} appears twice`);
      seen.add(`${key}:${entry[key]}`);
    }
    return { name: entry.name, port: entry.port };
  });
}

module.exports = { rollingDeployProgram, parseServers };
