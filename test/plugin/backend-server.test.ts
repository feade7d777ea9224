// The plugin's BackendServer from a Pulumi YAML program (`runtime: yaml`), the plugin
// installed from its tarball as a user does, through e2e/backend-server-scenario.ts: added
// and serving only on passing checks, replaced create-before-delete under traffic (the new
// name generated from the URN's resource name), re-added after a reload, removed.
import { strict as assert } from "node:assert";
import fs from "node:fs";
import path from "node:path";
import type { z } from "zod";
import { backendServerOutputs } from "../../provider/plugin/resources/backend-server";
import type { BackendServerOutputs } from "../../provider/pulumi/impl/backend-server";
import type { BackendServerInputs } from "../../provider/pulumi/impl/inputs";
import { BACKEND, RESOURCE, backendServerScenario } from "../e2e/backend-server-scenario";
import { PLUGIN_VERSION, pluginTarball, pulumiCli } from "./helpers";

/** true only when A and B are assignable both ways: a field added on one side only fails tsc here. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const outputsMatch: Same<z.output<typeof backendServerOutputs>, Omit<BackendServerOutputs, keyof BackendServerInputs>> = true;

/** The program a user writes (docs/pulumi shows it), with this rig's members. */
export function backendServerYaml(members: string[]): string {
  return `name: haproxy-backend-server
runtime: yaml
description: One server added at run time on every member, from Pulumi YAML.
config:
  address:
    type: string
  readyTimeoutSeconds:
    type: integer
resources:
  ${RESOURCE}:
    type: haproxy-cluster:index:BackendServer
    properties:
      members:
${members.map((m) => `        - ${m}`).join("\n")}
      backend: ${BACKEND}
      address: \${address}
      checkIntervalMs: 200
      readyTimeoutSeconds: \${readyTimeoutSeconds}
outputs:
  server: \${${RESOURCE}.server}
  addedOn: \${${RESOURCE}.addedOn}
`;
}

describe("plugin e2e: BackendServer from a Pulumi YAML program with the installed plugin tarball, pulumi up, refresh and destroy against two real HAProxy members", function () {
  this.timeout(600_000);
  it("declares in schema.json exactly the outputs the implementation records (tsc holds them equal)", function () {
    assert.ok(outputsMatch);
  });
  backendServerScenario("plugin-backend-server", {
    type: "haproxy-cluster:index:BackendServer",
    write: async (projectDir, members) => fs.promises.writeFile(path.join(projectDir, "Pulumi.yaml"), backendServerYaml(members)),
    prepare: async (stack) => {
      const installed = await pulumiCli(stack, ["plugin", "install", "resource", "haproxy-cluster", PLUGIN_VERSION, "--file", await pluginTarball()]);
      assert.match(installed, /installing|installed/i, installed);
    },
  });
});
