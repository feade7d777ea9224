// @ts-check
// Pulumi program: a rolling restart as a resource. For each server of a backend, one
// batch at a time: wait until the backend is rolling-restart safe on every member, drain
// the server on every member, run the restart `command` (the server's name and address in
// HAPROXY_SERVER_NAME, HAPROXY_SERVER_ADDR, HAPROXY_SERVER_PORT), put it back on fresh health checks, then
// the next. Changing `version` (a trigger) runs it again on the next `pulumi up`.
"use strict";

const pulumi = require("@pulumi/pulumi");
const { RollingRestart } = require("haproxy-cluster/pulumi");

const config = new pulumi.Config();

/** @type {import("haproxy-cluster/pulumi").RollingRestartArgs} */
const args = {
  members: /** @type {string[]} */ (config.requireObject("members")),
  backend: config.get("backend") ?? "myapp",
  // An argv, run without a shell on this machine, e.g. ["sudo", "systemctl", "restart", "app"];
  // for a shell: ["sh", "-c", "ssh \"$HAPROXY_SERVER_ADDR\" systemctl restart app"].
  command: /** @type {string[]} */ (config.requireObject("command")),
  // The app version: a new one restarts every server again.
  triggers: [config.require("version")],
};
// Settings left out of the stack config keep the provider's documented defaults.
const servers = config.getObject("servers");
const username = config.get("statsUser");
const password = config.getSecret("statsPassword");
const batchSize = config.getNumber("batchSize");
const commandTimeoutSeconds = config.getNumber("commandTimeoutSeconds");
const gate = config.getObject("gate");
const analysis = config.getObject("analysis");
if (servers !== undefined) args.servers = /** @type {string[]} */ (servers);
if (username !== undefined) args.username = username;
if (password !== undefined) args.password = password;
if (batchSize !== undefined) args.batchSize = batchSize;
if (commandTimeoutSeconds !== undefined) args.commandTimeoutSeconds = commandTimeoutSeconds;
if (gate !== undefined) Object.assign(args, /** @type {{ intervalSeconds?: number, minChecks?: number, gateTimeoutSeconds?: number }} */ (gate));
if (analysis !== undefined) args.analysis = /** @type {import("haproxy-cluster/pulumi").GateAnalysisArgs} */ (analysis);

const restart = new RollingRestart("restart", args);

module.exports = {
  /** Per server: outcome, when it was drained and back, the command's exit status, the verdict. */
  restarts: restart.restarts,
  /** Servers a stopped run left out of rotation (empty when it went through). */
  drainedServers: restart.drainedServers,
  completedAt: restart.completedAt,
};
