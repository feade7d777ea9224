// schema.json is generated from the zod schemas the resources validate with: the committed
// file must be what the generator writes today, and the plugin serves the same text (with
// its version). The output schemas are held equal to the implementation's types by tsc.
import { strict as assert } from "node:assert";
import fs from "node:fs";
import type { z } from "zod";
import type { ClusterHealth } from "../../provider/pulumi/impl/health";
import { SECRET_INPUTS, type ServerDrainInputs } from "../../provider/pulumi/impl/inputs";
import type { ReadinessGateOutputs } from "../../provider/pulumi/impl/readiness-gate";
import type { ServerDrainOutputs } from "../../provider/pulumi/impl/server-drain";
import { HaproxyClusterProvider } from "../../provider/plugin/provider";
import { clusterHealthOutputs } from "../../provider/plugin/resources/cluster-health";
import { readinessGateOutputs } from "../../provider/plugin/resources/readiness-gate";
import { serverDrainOutputs } from "../../provider/plugin/resources/server-drain";
import { pulumiSchema } from "../../provider/plugin/schema";
import { DEFINITIONS } from "../../provider/plugin/tokens";
import { SCHEMA_FILE, schemaText } from "../../provider/plugin/write-schema";

/** true only when A and B are assignable both ways: a field added on one side only fails tsc here. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const healthMatches: Same<z.output<typeof clusterHealthOutputs>, ClusterHealth> = true;
const drainMatches: Same<z.output<typeof serverDrainOutputs>, Omit<ServerDrainOutputs, keyof ServerDrainInputs>> = true;
const gateMatches: Same<Omit<z.output<typeof readinessGateOutputs>, "analyses">, Omit<ReadinessGateOutputs, "analyses">> = true;

type Json = Record<string, any>;

describe("plugin: schema.json", function () {
  it("is what npm run schema writes from the zod inputs today", function () {
    const committed = fs.readFileSync(SCHEMA_FILE, "utf8");
    assert.ok(committed === schemaText(), "provider/plugin/schema.json differs from the zod schemas: run `npm run schema` and commit it");
    assert.ok(healthMatches && drainMatches && gateMatches);
  });

  it("is what the plugin serves, with the package's version", async function () {
    const { version } = JSON.parse(fs.readFileSync(require.resolve("../../../package.json"), "utf8")) as { version: string };
    const served = JSON.parse(await new HaproxyClusterProvider(version).getSchema()) as Json;
    assert.equal(served.version, version);
    const { version: _v, ...rest } = served;
    assert.deepEqual(rest, JSON.parse(fs.readFileSync(SCHEMA_FILE, "utf8")));
  });

  it("names every resource and function of the token table, each input with a description, defaults as zod applies them, and exactly the secret inputs secret", function () {
    const schema = pulumiSchema();
    assert.deepEqual(Object.keys(schema.resources).sort(), DEFINITIONS.filter((d) => d.kind === "resource").map((d) => d.token).sort());
    assert.deepEqual(Object.keys(schema.functions), ["haproxy-cluster:index:getClusterHealth"]);
    const bags: Array<[string, Json]> = [
      ...Object.entries<Json>(schema.resources).flatMap(([t, r]) => [[`${t} inputs`, r.inputProperties], [`${t} state`, r.properties]] as Array<[string, Json]>),
      ...Object.entries<Json>(schema.functions).flatMap(([t, f]) => [[`${t} inputs`, f.inputs.properties], [`${t} outputs`, f.outputs.properties]] as Array<[string, Json]>),
      ...Object.entries<Json>(schema.types).map(([t, ty]) => [t, ty.properties] as [string, Json]),
    ];
    for (const [where, properties] of bags) {
      for (const [name, spec] of Object.entries<Json>(properties)) {
        assert.ok(spec.$ref || (typeof spec.description === "string" && spec.description.length > 10), `${where}: ${name} has no description`);
        assert.equal(spec.secret === true, where.includes(" ") && !where.endsWith("outputs") && (SECRET_INPUTS as readonly string[]).includes(name), `${where}: ${name} secret`);
      }
    }
    for (const d of DEFINITIONS) {
      const inputs = d.kind === "resource" ? schema.resources[d.token].inputProperties : schema.functions[d.token].inputs.properties;
      const applied = d.inputs.safeParse({ members: ["/x.sock"], backend: "b", server: "s", command: ["true"], address: "127.0.0.1:1" });
      assert.ok(applied.success, `${d.token}: the minimal inputs parse`);
      for (const [name, spec] of Object.entries<Json>(inputs)) {
        const value: unknown = (applied.data as Json)[name];
        if (spec.default !== undefined) assert.deepEqual(spec.default, value, `${d.token}.${name}: the schema's default is zod's`);
        else if (!["members", "backend", "server", "command", "address"].includes(name)) assert.ok(value === undefined || (Array.isArray(value) && value.length === 0), `${d.token}.${name}: zod applies ${JSON.stringify(value)} but the schema gives no default`);
      }
    }
    assert.deepEqual(schema.resources["haproxy-cluster:index:ServerDrain"].requiredInputs, ["backend", "members", "server"]);
    assert.deepEqual(schema.resources["haproxy-cluster:index:RollingRestart"].requiredInputs, ["backend", "command", "members"]);
    assert.deepEqual(schema.resources["haproxy-cluster:index:BackendServer"].requiredInputs, ["address", "backend", "members"]);
  });
});
