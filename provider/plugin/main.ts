// The plugin's entry, run by the pulumi-resource-haproxy-cluster launcher: serves the
// provider over gRPC to the engine whose address is the argument, until the engine ends it.

import { main } from "@pulumi/pulumi/provider";
import { HaproxyClusterProvider } from "./provider";

/** The package's version is the plugin's (dist/provider/plugin → the package root). */
const { version } = require("../../../package.json") as { version: string };

// A SIGKILLed engine never says goodbye and the kernel gives us a new parent: then our job is over.
const engine = process.ppid;
setInterval(() => {
  if (process.ppid !== engine) {
    process.stderr.write(`pulumi-resource-haproxy-cluster: the Pulumi engine (pid ${engine}) has exited; exiting.\n`);
    process.exit(1);
  }
}, 1000).unref();

void main(new HaproxyClusterProvider(version), process.argv.slice(2));
