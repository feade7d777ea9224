// @ts-check
// Pulumi program: a maintenance window as a resource. While the ServerDrain exists, one
// server of a backend is out of rotation on every HAProxy member; `maintenance: false`
// (or removing the resource) and `pulumi up` put it back, on fresh health checks.
"use strict";

const pulumi = require("@pulumi/pulumi");
const { ServerDrain } = require("haproxy-cluster/pulumi");

const config = new pulumi.Config();
const maintenance = config.getBoolean("maintenance") ?? true;
const backend = config.get("backend") ?? "myapp";
const server = config.require("server");

/** @type {import("haproxy-cluster/pulumi").ServerDrainArgs} */
const args = {
  members: /** @type {string[]} */ (config.requireObject("members")),
  backend,
  server,
  // A maintenance window: out for as long as the resource exists; deleting it puts the server back.
  lifetime: "resource",
};
// Settings left out of the stack config keep the provider's documented defaults.
const username = config.get("statsUser");
const password = config.getSecret("statsPassword");
const mode = config.get("mode");
const waitForSessions = config.getBoolean("waitForSessions");
const sessionsTimeoutSeconds = config.getNumber("sessionsTimeoutSeconds");
const onSessionsTimeout = config.get("onSessionsTimeout");
const restoreTimeoutSeconds = config.getNumber("restoreTimeoutSeconds");
const minOtherServing = config.getNumber("minOtherServing");
const force = config.getBoolean("force");
if (username !== undefined) args.username = username;
if (password !== undefined) args.password = password;
if (mode !== undefined) args.mode = /** @type {"drain" | "maint"} */ (mode);
if (waitForSessions !== undefined) args.waitForSessions = waitForSessions;
if (sessionsTimeoutSeconds !== undefined) args.sessionsTimeoutSeconds = sessionsTimeoutSeconds;
if (onSessionsTimeout !== undefined) args.onSessionsTimeout = /** @type {"fail" | "proceed" | "shutdown"} */ (onSessionsTimeout);
if (restoreTimeoutSeconds !== undefined) args.restoreTimeoutSeconds = restoreTimeoutSeconds;
if (minOtherServing !== undefined) args.minOtherServing = minOtherServing;
if (force !== undefined) args.force = force;
// Members reached over SSH (ssh://user@lb1/run/haproxy/admin.sock): the key as a secret, host keys checked.
const sshPrivateKey = config.getSecret("sshPrivateKey");
const sshPassphrase = config.getSecret("sshPassphrase");
const sshKnownHosts = config.get("sshKnownHosts");
if (sshPrivateKey !== undefined) args.sshPrivateKey = sshPrivateKey;
if (sshPassphrase !== undefined) args.sshPassphrase = sshPassphrase;
if (sshKnownHosts !== undefined) args.sshKnownHosts = sshKnownHosts;

// One fixed name whatever the server: changing `server` then replaces the resource,
// putting the old server back before taking the new one out.
const drain = maintenance ? new ServerDrain("maintenance", args) : undefined;

module.exports = {
  maintenance,
  backend,
  server,
  /** Members on which the server is out of rotation (none once the window is over). */
  drainedOn: drain ? drain.drainedOn : [],
  /** ready / drain / maint per member, as last read (`pulumi refresh` reads it again). */
  adminState: drain ? drain.adminState : {},
  /** When the server was taken out (ISO 8601); only while the window is open. */
  ...(drain ? { drainedAt: drain.drainedAt } : {}),
};
