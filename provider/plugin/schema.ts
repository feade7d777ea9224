// The package schema (schema.json) generated from the zod schemas in tokens.ts, so the
// two cannot drift: zod's own JSON Schema of each input and output bag, turned into
// Pulumi's property specs. Named nested objects (zod `.meta({ id })`) become types; the
// inputs named in SECRET_INPUTS are secret, as inputs and in state.

import { z } from "zod";
import { SECRET_INPUTS } from "../pulumi/impl/inputs";
import { PACKAGE_NAME, tokenOf, type Definition } from "./definition";
import { DEFINITIONS } from "./tokens";

type Json = Record<string, any>;

export interface PropertySpec {
  type?: string;
  $ref?: string;
  items?: PropertySpec;
  additionalProperties?: PropertySpec;
  description?: string;
  default?: string | number | boolean;
  secret?: boolean;
}

export interface ObjectSpec {
  description?: string;
  properties: Record<string, PropertySpec>;
  required?: string[];
}

const ANY: PropertySpec = { $ref: "pulumi.json#/Any" };

/** Converts zod's JSON Schema to Pulumi property specs, collecting named types into `types`. */
class Converter {
  readonly types: Record<string, ObjectSpec & { type: "object" }> = {};

  /** A zod object as Pulumi properties and the required ones, for `io` input (defaults optional) or output; `secrets` are marked secret. */
  object(schema: z.ZodObject<z.ZodRawShape>, io: "input" | "output", secrets: readonly string[] = []): ObjectSpec {
    const json = z.toJSONSchema(schema, { io, unrepresentable: "any", target: "draft-2020-12" }) as Json;
    const spec = this.objectSpec(json, json.$defs ?? {});
    for (const name of secrets) if (spec.properties[name]) spec.properties[name].secret = true;
    return spec;
  }

  private objectSpec(json: Json, defs: Json): ObjectSpec {
    const properties: Record<string, PropertySpec> = {};
    for (const [name, prop] of Object.entries<Json>(json.properties ?? {})) properties[name] = this.property(prop, defs, name);
    const required = [...(json.required ?? [])].sort();
    return { ...(json.description ? { description: json.description } : {}), properties, ...(required.length > 0 ? { required } : {}) };
  }

  private property(json: Json, defs: Json, where: string): PropertySpec {
    const spec = this.shape(json, defs, where);
    // Beside a $ref Pulumi ignores it: the named type carries its own.
    if (typeof json.description === "string" && !spec.$ref) spec.description = json.description;
    if (["string", "number", "boolean"].includes(typeof json.default)) spec.default = json.default;
    return spec;
  }

  private shape(json: Json, defs: Json, where: string): PropertySpec {
    if (typeof json.$ref === "string") return this.named(json.$ref.replace(/^#\/\$defs\//, ""), defs);
    switch (json.type) {
      case "string":
      case "number":
      case "integer":
      case "boolean":
        return { type: json.type };
      case "array":
        return { type: "array", items: json.items ? this.shape(json.items, defs, `${where}[]`) : ANY };
      case "object":
        if (json.properties) throw new Error(`${where}: a nested object needs a name in the schema: give its zod schema .meta({ id: "TypeName" }).`);
        return { type: "object", additionalProperties: json.additionalProperties ? this.shape(json.additionalProperties, defs, `${where}{}`) : ANY };
      case undefined:
        return ANY;
      default:
        throw new Error(`${where}: JSON Schema type ${JSON.stringify(json.type)} has no Pulumi counterpart.`);
    }
  }

  private named(id: string, defs: Json): PropertySpec {
    const token = tokenOf(id);
    if (!(token in this.types)) {
      const def = defs[id];
      if (!def) throw new Error(`zod's JSON Schema refers to ${id} without defining it.`);
      this.types[token] = { type: "object", ...this.objectSpec(def, defs) };
    }
    return { $ref: `#/types/${token}` };
  }
}

function sortKeys<T>(record: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => a.localeCompare(b)));
}

/**
 * Names of the generated SDKs (sdk/, written by `npm run sdks`). The Go module path has no
 * host: the SDK is used from this repository with a `replace` line, as no Go proxy serves it.
 */
export const SDK_LANGUAGES = {
  go: { importBasePath: "haproxy-cluster/sdk/go/haproxycluster" },
  nodejs: { packageName: "@haproxy-cluster/pulumi" },
  python: { packageName: "pulumi_haproxy_cluster" },
} as const;

/** The package schema for `version` (left out when not given: the committed file has none). */
export function pulumiSchema(version?: string, definitions: readonly Definition[] = DEFINITIONS): Json {
  const convert = new Converter();
  const resources: Record<string, Json> = {};
  const functions: Record<string, Json> = {};
  for (const d of definitions) {
    const inputs = convert.object(d.inputs, "input", SECRET_INPUTS);
    if (d.kind === "resource") {
      const state = convert.object(d.inputs, "output", SECRET_INPUTS);
      const added = d.outputs ? convert.object(d.outputs, "output") : { properties: {} };
      resources[d.token] = {
        description: d.description,
        inputProperties: inputs.properties,
        ...(inputs.required ? { requiredInputs: inputs.required } : {}),
        properties: { ...state.properties, ...added.properties },
        required: [...(state.required ?? []), ...(added.required ?? [])].sort(),
      };
    } else {
      functions[d.token] = { description: d.description, inputs, outputs: convert.object(d.outputs, "output") };
    }
  }
  return {
    name: PACKAGE_NAME,
    displayName: "HAProxy cluster",
    description: "Several HAProxy load balancers as one cluster: drains, readiness gates and cluster health over every member's stats page, Runtime API socket or SSH.",
    ...(version ? { version } : {}),
    license: "MIT",
    keywords: ["haproxy", "load balancer", "rolling restart"],
    // supportPack: the SDKs carry the package's version (the plugin they ask the engine for)
    // and the Go SDK gets its own go.mod.
    meta: { moduleFormat: "(.*)", supportPack: true },
    language: SDK_LANGUAGES,
    config: {},
    provider: { description: `The ${PACKAGE_NAME} provider; it takes no configuration (each resource names its members).` },
    resources: sortKeys(resources),
    functions: sortKeys(functions),
    types: sortKeys(convert.types),
  };
}
