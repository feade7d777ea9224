// @ts-check
// Pulumi program: a rolling deploy of local app servers behind several HAProxy members.
// The chain and the app resource live in program.js and app-deployment.js.
"use strict";

const { rollingDeployProgram } = require("./program");

module.exports = rollingDeployProgram(require("haproxy-cluster/pulumi"));
