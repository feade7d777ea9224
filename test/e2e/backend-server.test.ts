// The Node dynamic BackendServer in a real Node.js Pulumi program (this checkout's build,
// loaded by path), through backend-server-scenario.ts: added and serving only on passing
// checks, replaced create-before-delete under traffic, re-added after a reload, removed.
import fs from "node:fs";
import path from "node:path";
import { REPO_ROOT } from "../support/pulumi-stack";
import { BACKEND, RESOURCE, backendServerScenario } from "./backend-server-scenario";

const PROGRAM = `"use strict";
const pulumi = require("@pulumi/pulumi");
const { BackendServer } = require(${JSON.stringify(path.join(REPO_ROOT, "dist", "provider", "pulumi"))});

const config = new pulumi.Config();
const web = new BackendServer("${RESOURCE}", {
  members: config.requireObject("members"),
  backend: "${BACKEND}",
  address: config.require("address"),
  checkIntervalMs: 200,
  readyTimeoutSeconds: config.requireNumber("readyTimeoutSeconds"),
});
exports.server = web.server;
exports.addedOn = web.addedOn;
`;

describe("e2e: the Node dynamic BackendServer, pulumi up, refresh and destroy against two real HAProxy members", function () {
  this.timeout(300_000);
  backendServerScenario("backend-server", {
    type: "pulumi-nodejs:dynamic/haproxy-cluster:BackendServer",
    write: async (projectDir, members) => {
      await fs.promises.writeFile(path.join(projectDir, "Pulumi.yaml"), "name: backend-server\nruntime: nodejs\nmain: index.js\n");
      await fs.promises.writeFile(path.join(projectDir, "index.js"), PROGRAM.replace('config.requireObject("members")', JSON.stringify(members)));
      await fs.promises.symlink(path.join(REPO_ROOT, "node_modules"), path.join(projectDir, "node_modules"));
    },
  });
});
