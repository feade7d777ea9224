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

// The SDK's runtime reads the engine's address from here when `pulumi.log` first runs: a
// resource's log lines (engine-log.ts) then reach the engine's diagnostics, not our stderr.
const args = process.argv.slice(2);
const engineAddress = engineAddressOf(args);
if (engineAddress) process.env.PULUMI_NODEJS_ENGINE = engineAddress;

void main(new HaproxyClusterProvider(version), args);

/** The engine passes `[--logtostderr] [-v=N] [--tracing <endpoint>] <engine address>`, as the SDK's main reads it. */
function engineAddressOf(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--tracing") i += 1;
    else if (argv[i] !== "--logtostderr" && !argv[i].startsWith("-v=")) return argv[i];
  }
  return undefined;
}
