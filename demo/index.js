// @ts-check
// The repository's own Pulumi program (Pulumi.yaml at the root): the rolling deploy of
// examples/rolling-deploy, with the library taken from this checkout's build instead of
// an installed package. Its stack config is that example's (see its README.md).
"use strict";

const fs = require("node:fs");
const path = require("node:path");

const built = path.join(__dirname, "..", "dist", "provider", "pulumi", "index.js");
if (!fs.existsSync(built)) {
  throw new Error(`the library is not built (${built} is missing): run npm ci && npm run build in ${path.dirname(__dirname)}, then pulumi up again.`);
}

const { rollingDeployProgram } = require("../examples/rolling-deploy/program");

module.exports = rollingDeployProgram(require("../pulumi"));
