// A resource's lines in the user's `pulumi up` output. The engine shows a plugin's stderr only
// at debug level, so the plugin sends them through the engine's Log RPC, tagged with the
// resource's URN: the SDK's `pulumi.log` does that once the runtime knows the engine's address
// (main.ts puts it in PULUMI_NODEJS_ENGINE). stdout lines are info, stderr lines warnings.

import * as pulumi from "@pulumi/pulumi";
import type { HostOptions } from "../pulumi/impl/rolling-restart";

export interface EngineLog extends Required<HostOptions> {
  /** Resolves once every line sent so far has reached the engine (before the verb answers). */
  flushed(): Promise<void>;
}

export function engineLog(urn: string): EngineLog {
  // Stands in for the resource (only its URN is read); it registers nothing.
  const resource = new pulumi.DependencyResource(urn);
  let last: Promise<void> = Promise.resolve();
  return {
    log(stream, text) {
      last = (stream === "stdout" ? pulumi.log.info : pulumi.log.warn)(text, resource);
    },
    flushed: () => last,
  };
}
