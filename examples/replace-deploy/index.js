// @ts-check
// Pulumi program: a replace deploy of local app instances behind several HAProxy members.
// Each instance is an AppInstance (a process on a port of its own) with a BackendServer in
// front of it. A new `version` replaces every instance, new before old: the new process
// starts on a new port, its server is added on every member and enters rotation on fresh
// checks; once all are in, the engine deletes the old ones: each server behind the
// capacity guard (drain, its sessions, removal from every member), then its process.
"use strict";

const pulumi = require("@pulumi/pulumi");
const { BackendServer } = require("haproxy-cluster/pulumi");
const { AppInstance, DEFAULT_STATE_DIR } = require("./app-instance");
// Config objects are checked as examples/rolling-deploy checks them: unknown keys refused.
const { settings } = require("../rolling-deploy/config-settings");

/** What config `server` may set (BackendServerArgs): how a server is added, waited for and removed. */
const SERVER_KEYS = ["checkIntervalMs", "weight", "readyTimeoutSeconds", "sessionsTimeoutSeconds", "onSessionsTimeout", "removeTimeoutSeconds", "minOtherServing", "force"];

const config = new pulumi.Config();
const members = /** @type {string[]} */ (config.requireObject("members"));
const version = config.require("version");
const backend = config.get("backend") ?? "myapp";
const instances = config.getNumber("instances") ?? 3;
const warmupMs = config.getNumber("warmupMs") ?? 0;
const stateDir = config.get("stateDir") ?? DEFAULT_STATE_DIR;
const serverSettings = settings(config.getObject("server"), "server", SERVER_KEYS) ?? {};
if (!Number.isInteger(instances) || instances < 1) throw new Error(`config instances must be a whole number ≥ 1, got ${instances}`);

/** @type {Record<string, unknown>} */
const connection = { members };
const username = config.get("statsUser");
const password = config.getSecret("statsPassword");
if (username !== undefined) connection.username = username;
if (password !== undefined) connection.password = password;

const slots = Array.from({ length: instances }, (_, i) => {
  const slot = `app${i + 1}`;
  const app = new AppInstance(slot, { name: slot, version, warmupMs, stateDir });
  // The name and address come from the instance: a new instance means a new server,
  // added before the old one is removed (the engine's default for a replacement).
  const server = new BackendServer(`${slot}-server`, { ...serverSettings, ...connection, backend, server: app.server, address: app.address });
  return { slot, app, server };
});

/** Per slot: the HAProxy server name, its address and the version its app serves. */
exports.servers = Object.fromEntries(slots.map(({ slot, app }) => [slot, pulumi.all({ server: app.server, address: app.address, version: app.version })]));
/** Where each app answers directly (bypassing HAProxy). */
exports.appUrls = Object.fromEntries(slots.map(({ slot, app }) => [slot, app.url]));

