// The provider objects Pulumi serializes into every resource's state. They hold no logic
// and capture nothing but strings: each method loads the implementation when it runs, so
// serialization never meets a zod schema, an undici pool or a socket, and state written
// today keeps working with the package's later code.

import * as path from "node:path";
import type * as pulumi from "@pulumi/pulumi";

type ImplKind = "serverDrain" | "readinessGate" | "rollingRestart" | "backendServer";

/** How a user's project reaches the implementation once this package is installed. */
const IMPL_PACKAGE_PATH = "haproxy-cluster/dist/provider/pulumi/impl";
/** Where it is when this code runs from a checkout (the repository's own programs). */
const IMPL_FILE_PATH = path.join(__dirname, "impl");

function makeProvider(kind: ImplKind): pulumi.dynamic.ResourceProvider {
  // Inside each method on purpose: this runs in the provider process, from its state text.
  const impl = () => {
    let resolved: string;
    try {
      // The provider process runs in the Pulumi project's directory.
      resolved = require.resolve(IMPL_PACKAGE_PATH, { paths: [process.cwd()] });
    } catch {
      resolved = IMPL_FILE_PATH;
    }
    return require(resolved)[kind];
  };
  return {
    check: async (olds, news) => impl().check(olds, news),
    diff: async (id, olds, news) => impl().diff(id, olds, news),
    create: async (inputs) => impl().create(inputs),
    update: async (id, olds, news) => impl().update(id, olds, news),
    delete: async (id, props) => impl().remove(id, props),
    read: async (id, props) => impl().read(id, props),
  };
}

export const serverDrainProvider = makeProvider("serverDrain");
export const readinessGateProvider = makeProvider("readinessGate");
export const rollingRestartProvider = makeProvider("rollingRestart");
export const backendServerProvider = makeProvider("backendServer");
