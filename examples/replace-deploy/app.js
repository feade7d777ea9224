#!/usr/bin/env node
// The app of examples/rolling-deploy (versioned answers, /check, --warmup-ms, graceful
// SIGTERM), started from this project so that AppInstance keeps a path relative to it.
"use strict";

require("../rolling-deploy/app.js");
