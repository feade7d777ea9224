// docs/pulumi/: one page per resource and function, its inputs and outputs read from the
// code. Names, types, optionality and descriptions come from the TypeScript (the `*Args`
// interfaces and the resource classes, parsed with the `typescript` package, so the TSDoc
// users see in their editor is the text here); defaults come from the zod schemas the
// provider validates with (and ANALYSIS_DEFAULTS), secrets from SECRET_INPUTS. A TSDoc
// that states a default other than the schema's stops the generator.

import ts from "typescript";
import { z } from "zod";
import { ANALYSIS_DEFAULTS, DEFAULTS, LIMITS } from "../../provider/policy";
import { SECRET_INPUTS, analysisSchema, backendServerSchema, connectionSchema, healthSchema, readinessGateSchema, rollingRestartSchema, serverDrainSchema } from "../../provider/pulumi/impl/inputs";
import { serverRestartSchema } from "../../provider/pulumi/impl/rolling-restart";
import { fragment, source } from "./fragments";
import { banner, code, table } from "./markdown";

const SOURCES = [
  "provider/pulumi/connection.ts",
  "provider/pulumi/server-drain.ts",
  "provider/pulumi/readiness-gate.ts",
  "provider/pulumi/rolling-deploy.ts",
  "provider/pulumi/rolling-restart.ts",
  "provider/pulumi/backend-server.ts",
  "provider/pulumi/cluster-health.ts",
  "provider/pulumi/impl/health.ts",
] as const;

export interface Field {
  name: string;
  type: string;
  optional: boolean;
  doc: string;
}

interface Declarations {
  interfaces: Map<string, { fields: Field[]; extends: string[]; doc: string; file: string }>;
  classes: Map<string, { fields: Field[]; doc: string; file: string }>;
  functions: Map<string, { signature: string; doc: string; file: string }>;
  /** Each file's opening comment: what the module is for. */
  headers: Map<string, string>;
}

function docOf(node: ts.Node): string {
  const docs = (node as { jsDoc?: ts.JSDoc[] }).jsDoc ?? [];
  return withPolicyValues(
    docs
      .map((d) => ts.getTextOfJSDocComment(d.comment) ?? "")
      .join(" ")
      .replace(/\s*\n\s*/g, " ")
      .trim(),
  );
}

const POLICY: Record<string, Readonly<Record<string, unknown>>> = { DEFAULTS, LIMITS, ANALYSIS_DEFAULTS };

/** `{@link DEFAULTS.minChecks}` (how the TSDoc names a default, so that it has one home) → `3`; any other link → its name. */
function withPolicyValues(doc: string): string {
  return doc.replace(/\{@link\s+([\w.]+)(?:\s*\|[^}]*)?\}/g, (_, name: string) => {
    const [table, key] = name.split(".");
    const value = table !== undefined && key !== undefined ? POLICY[table]?.[key] : undefined;
    if (table !== undefined && key !== undefined && table in POLICY && value === undefined) throw new Error(`a TSDoc names ${name}, which policy.ts does not define`);
    return value === undefined ? name : String(value);
  });
}

/** `pulumi.Input<pulumi.Input<string>[]>` → `string[]`: the value a user writes. */
export function plainType(text: string): string {
  let t = text.replace(/\s+/g, " ").trim();
  for (;;) {
    const at = t.search(/pulumi\.(Input|Output)</);
    if (at < 0) return t;
    const open = t.indexOf("<", at);
    let depth = 0;
    let close = open;
    for (; close < t.length; close++) {
      if (t[close] === "<") depth++;
      else if (t[close] === ">" && --depth === 0) break;
    }
    t = t.slice(0, at) + t.slice(open + 1, close) + t.slice(close + 1);
  }
}

function fieldsOf(members: ts.NodeArray<ts.TypeElement> | ts.NodeArray<ts.ClassElement>, file: ts.SourceFile): Field[] {
  const fields: Field[] = [];
  for (const m of members) {
    if (!(ts.isPropertySignature(m) || ts.isPropertyDeclaration(m)) || !m.type) continue;
    const modifiers = ts.canHaveModifiers(m) ? (ts.getModifiers(m) ?? []) : [];
    if (modifiers.some((mod) => mod.kind === ts.SyntaxKind.PrivateKeyword || mod.kind === ts.SyntaxKind.ProtectedKeyword)) continue;
    fields.push({ name: m.name.getText(file), type: plainType(m.type.getText(file)), optional: m.questionToken !== undefined, doc: docOf(m) });
  }
  return fields;
}

export function readDeclarations(): Declarations {
  const out: Declarations = { interfaces: new Map(), classes: new Map(), functions: new Map(), headers: new Map() };
  for (const path of SOURCES) {
    const file = ts.createSourceFile(path, source(path), ts.ScriptTarget.ES2022, true);
    const header = (ts.getLeadingCommentRanges(file.text, 0) ?? [])
      .map((r) => file.text.slice(r.pos, r.end).replace(/^\/\/\s?/, ""))
      .join(" ")
      .replace(/\s+/g, " ")
      .trim();
    out.headers.set(path, header);
    for (const st of file.statements) {
      if (ts.isInterfaceDeclaration(st)) {
        const ext = (st.heritageClauses ?? []).flatMap((h) => h.types.map((t) => t.expression.getText(file)));
        out.interfaces.set(st.name.text, { fields: fieldsOf(st.members, file), extends: ext, doc: docOf(st), file: path });
      } else if (ts.isClassDeclaration(st) && st.name) {
        out.classes.set(st.name.text, { fields: fieldsOf(st.members, file), doc: docOf(st), file: path });
      } else if (ts.isFunctionDeclaration(st) && st.name && st.modifiers?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)) {
        const params = st.parameters.map((p) => p.getText(file)).join(", ");
        out.functions.set(st.name.text, { signature: `${st.name.text}(${params}): ${st.type?.getText(file) ?? "void"}`, doc: docOf(st), file: path });
      }
    }
  }
  return out;
}

/** The unit a field's name carries (the project names values with their unit). */
export function unitOf(name: string): string {
  if (/Seconds$/.test(name)) return "seconds";
  if (/Percent(OverPeers)?$/.test(name)) return "percent";
  if (/Ms$/.test(name)) return "milliseconds";
  return "";
}

/** The default a schema applies to a missing field, if any. */
function schemaDefault(schema: z.ZodObject<z.ZodRawShape> | undefined, name: string): { value: unknown } | undefined {
  const field = schema?.shape[name] as z.ZodTypeAny | undefined;
  if (!field) return undefined;
  const r = field.safeParse(undefined);
  return r.success && r.data !== undefined ? { value: r.data } : undefined;
}

/** "Default 80." / "Default: `HAPROXY_CLUSTER_USER` …" in a TSDoc: the stated default. */
function statedDefault(doc: string): string | undefined {
  return /\bDefault:?\s+(.*?)(?:\.(?:\s|$)|$)/.exec(doc)?.[1]?.trim();
}

interface InputSet {
  /** The Args interface. */
  name: string;
  schema?: z.ZodObject<z.ZodRawShape>;
  /** Defaults kept outside the schema (the analysis thresholds). */
  defaults?: Readonly<Record<string, unknown>>;
}

function inputRows(decl: Declarations, set: InputSet, own: Field[]): string[][] {
  return own.map((f) => {
    const fromCode = schemaDefault(set.schema, f.name) ?? (set.defaults && f.name in set.defaults ? { value: set.defaults[f.name] } : undefined);
    const stated = statedDefault(f.doc);
    if (fromCode && stated !== undefined && typeof fromCode.value !== "object" && !stated.replace(/`/g, "").split(/[\s,:;()]+/).includes(String(fromCode.value))) {
      throw new Error(`${set.name}.${f.name}: its TSDoc says "Default ${stated}" but the code's default is ${JSON.stringify(fromCode.value)}; make them agree (${decl.interfaces.get(set.name)!.file}), then run npm run docs.`);
    }
    const dflt = !f.optional ? "required" : fromCode ? code(JSON.stringify(fromCode.value)) : (stated ?? "none");
    const secret = (SECRET_INPUTS as readonly string[]).includes(f.name) ? "yes, always" : "no";
    return [code(f.name), code(f.type), unitOf(f.name), dflt, secret, f.doc];
  });
}

const INPUT_HEADER = ["input", "type", "unit", "default", "secret", "description"];
const OUTPUT_HEADER = ["output", "type", "unit", "secret", "description"];

function inputsTable(decl: Declarations, set: InputSet): string {
  const iface = decl.interfaces.get(set.name);
  if (!iface) throw new Error(`interface ${set.name} not found in ${SOURCES.join(", ")}`);
  return table(INPUT_HEADER, inputRows(decl, set, iface.fields));
}

function outputsTable(fields: Field[]): string {
  return table(
    OUTPUT_HEADER,
    fields.map((f) => [code(f.name), code(f.type), unitOf(f.name), (SECRET_INPUTS as readonly string[]).includes(f.name) ? "yes" : "no", f.doc]),
  );
}

/** A JSON Schema property as the TypeScript type a reader knows (`string[]`, `Record<string, number>`, `"a" | "b"`). */
function typeOfJsonSchema(p: Record<string, any>): string {
  if (Array.isArray(p.enum)) return p.enum.map((v: unknown) => JSON.stringify(v)).join(" | ");
  if (p.type === "array") return `${typeOfJsonSchema(p.items ?? {})}[]`;
  if (p.type === "object") return p.additionalProperties && typeof p.additionalProperties === "object" ? `Record<string, ${typeOfJsonSchema(p.additionalProperties)}>` : "object";
  if (p.type === "integer") return "number";
  return typeof p.type === "string" ? p.type : "unknown";
}

/** ServerRestart's fields, from its zod schema (the one home of its shape and descriptions). */
function serverRestartFields(): Field[] {
  const json = z.toJSONSchema(z.object(serverRestartSchema.shape), { io: "output", unrepresentable: "any" }) as { properties: Record<string, Record<string, any>>; required?: string[] };
  return Object.entries(json.properties).map(([name, p]) => ({ name, type: typeOfJsonSchema(p), optional: !(json.required ?? []).includes(name), doc: String(p.description ?? "") }));
}

const CONNECTION: InputSet = { name: "ClusterConnectionArgs", schema: connectionSchema };
const ANALYSIS: InputSet = { name: "GateAnalysisArgs", schema: analysisSchema, defaults: ANALYSIS_DEFAULTS };

interface PageSpec {
  file: string;
  title: string;
  kind: "resource" | "component" | "function";
  source: string;
  usage: string;
  inputs: InputSet;
  /** Extra input tables: [heading, set]. */
  extraInputs?: Array<[string, InputSet]>;
  outputs: (decl: Declarations) => string;
}

const PAGES: PageSpec[] = [
  {
    file: "server-drain.md",
    title: "ServerDrain",
    kind: "resource",
    source: "provider/pulumi/server-drain.ts",
    usage: `import { ServerDrain } from "haproxy-cluster/pulumi";\n\nnew ServerDrain(name: string, args: ServerDrainArgs, opts?: pulumi.CustomResourceOptions)`,
    inputs: { name: "ServerDrainArgs", schema: serverDrainSchema },
    outputs: (decl) => outputsTable(decl.classes.get("ServerDrain")!.fields),
  },
  {
    file: "cluster-readiness-gate.md",
    title: "ClusterReadinessGate",
    kind: "resource",
    source: "provider/pulumi/readiness-gate.ts",
    usage: `import { ClusterReadinessGate } from "haproxy-cluster/pulumi";\n\nnew ClusterReadinessGate(name: string, args: ClusterReadinessGateArgs, opts?: pulumi.CustomResourceOptions)`,
    inputs: { name: "ClusterReadinessGateArgs", schema: readinessGateSchema },
    extraInputs: [["`analysis`", ANALYSIS]],
    outputs: (decl) => outputsTable(decl.classes.get("ClusterReadinessGate")!.fields),
  },
  {
    file: "rolling-deploy.md",
    title: "RollingDeploy",
    kind: "component",
    source: "provider/pulumi/rolling-deploy.ts",
    usage: `import { RollingDeploy } from "haproxy-cluster/pulumi";\n\nnew RollingDeploy(name: string, args: RollingDeployArgs, opts?: pulumi.ComponentResourceOptions)`,
    inputs: { name: "RollingDeployArgs" },
    extraInputs: [["`analysis`", ANALYSIS]],
    outputs: (decl) => outputsTable(decl.classes.get("RollingDeploy")!.fields),
  },
  {
    file: "rolling-restart.md",
    title: "RollingRestart",
    kind: "resource",
    source: "provider/pulumi/rolling-restart.ts",
    usage: `import { RollingRestart } from "haproxy-cluster/pulumi";\n\nnew RollingRestart(name: string, args: RollingRestartArgs, opts?: pulumi.CustomResourceOptions)`,
    inputs: { name: "RollingRestartArgs", schema: rollingRestartSchema },
    extraInputs: [["`analysis`", ANALYSIS]],
    outputs: (decl) => [outputsTable(decl.classes.get("RollingRestart")!.fields), "", "### ServerRestart", "", "Each entry of `restarts`:", "", outputsTable(serverRestartFields())].join("\n"),
  },
  {
    file: "backend-server.md",
    title: "BackendServer",
    kind: "resource",
    source: "provider/pulumi/backend-server.ts",
    usage: `import { BackendServer } from "haproxy-cluster/pulumi";\n\nnew BackendServer(name: string, args: BackendServerArgs, opts?: pulumi.CustomResourceOptions)`,
    inputs: { name: "BackendServerArgs", schema: backendServerSchema },
    outputs: (decl) => outputsTable(decl.classes.get("BackendServer")!.fields),
  },
  {
    file: "get-cluster-health.md",
    title: "getClusterHealth",
    kind: "function",
    source: "provider/pulumi/cluster-health.ts",
    usage: `import { getClusterHealth } from "haproxy-cluster/pulumi";\n\n`,
    inputs: { name: "ClusterHealthArgs", schema: healthSchema },
    outputs: (decl) =>
      [
        "A `pulumi.Output<ClusterHealth>` (not secret: the password is an input, not part of the answer):",
        "",
        outputsTable(decl.interfaces.get("ClusterHealth")!.fields),
        "",
        "### BackendHealth",
        "",
        "Each entry of `members[].backends`:",
        "",
        outputsTable(decl.interfaces.get("BackendHealth")!.fields),
      ].join("\n"),
  },
];

function pulumiPage(decl: Declarations, page: PageSpec): string {
  const example = fragment(`pulumi-${page.file}`);
  if (!example) throw new Error(`scripts/docs/fragments/pulumi-${page.file} is missing: every resource page has a hand-written example.`);
  const fn = page.kind === "function" ? decl.functions.get(page.title) : undefined;
  const intro = page.kind === "function" ? (fn?.doc ?? "") : decl.headers.get(page.source)!.replace(/^\w+:\s*/, "");
  const usage = page.kind === "function" ? `${page.usage}${fn!.signature}` : page.usage;
  const extends_ = decl.interfaces.get(page.inputs.name)?.extends ?? [];
  const extras = (page.extraInputs ?? []).flatMap(([heading, set]) => [`### ${heading}`, "", decl.interfaces.get(set.name)!.doc, "", inputsTable(decl, set), ""]);
  return [
    banner([page.source, ...SOURCES.filter((s) => s !== page.source && (s.endsWith("connection.ts") || (page.kind === "function" && s.endsWith("health.ts")))), "provider/pulumi/impl/inputs.ts", `scripts/docs/fragments/pulumi-${page.file}`]),
    "",
    `# ${page.title}`,
    "",
    `${intro.charAt(0).toUpperCase()}${intro.slice(1)}`,
    "",
    "```ts",
    usage,
    "```",
    "",
    "## Inputs",
    "",
    inputsTable(decl, page.inputs),
    "",
    ...extras,
    ...(extends_.includes("ClusterConnectionArgs")
      ? ["### Connection inputs", "", "Every resource and function of this package takes these to reach the cluster.", "", inputsTable(decl, CONNECTION), ""]
      : []),
    "## Outputs",
    "",
    page.outputs(decl),
    "",
    example.trimEnd(),
    "",
    "See also: [every resource](README.md), [error codes](../errors.md).",
    "",
  ].join("\n");
}

/** Input names per page, for the test: every field of the Args interface, its extras and the connection. */
export function pulumiFieldsByPage(): Map<string, { inputs: string[]; outputs: string[]; schemaKeys: string[] }> {
  const decl = readDeclarations();
  const result = new Map<string, { inputs: string[]; outputs: string[]; schemaKeys: string[] }>();
  for (const page of PAGES) {
    const sets = [page.inputs, ...(page.extraInputs ?? []).map(([, s]) => s)];
    if (decl.interfaces.get(page.inputs.name)!.extends.includes("ClusterConnectionArgs")) sets.push(CONNECTION);
    const inputs = sets.flatMap((s) => decl.interfaces.get(s.name)!.fields.map((f) => f.name));
    const schemaKeys = sets.flatMap((s) => (s.schema ? Object.keys(s.schema.shape) : []));
    const outputs =
      page.kind === "function"
        ? ["ClusterHealth", "BackendHealth"].flatMap((n) => decl.interfaces.get(n)!.fields.map((f) => f.name))
        : decl.classes.get(page.title)!.fields.map((f) => f.name);
    result.set(`docs/pulumi/${page.file}`, { inputs, outputs, schemaKeys });
  }
  return result;
}

export function pulumiPages(): Map<string, string> {
  const decl = readDeclarations();
  const pages = new Map<string, string>();
  const firstSentence = (text: string): string => {
    const s = text.split(/(?<=[a-z)]\.)\s+(?=[A-Z])/)[0]!;
    return `${s.charAt(0).toUpperCase()}${s.slice(1)}`;
  };
  const index = [
    banner(["provider/pulumi/*.ts", "scripts/docs/fragments/pulumi-README.md"]),
    "",
    "# Pulumi resources",
    "",
    table(
      ["resource or function", "what it does"],
      PAGES.map((p) => [`[\`${p.title}\`](${p.file})`, firstSentence(p.kind === "function" ? decl.functions.get(p.title)!.doc : decl.headers.get(p.source)!.replace(/^\w+:\s*/, ""))]),
    ),
    "",
    fragment("pulumi-README.md")!.trimEnd(),
    "",
  ].join("\n");
  pages.set("docs/pulumi/README.md", index);
  for (const page of PAGES) pages.set(`docs/pulumi/${page.file}`, pulumiPage(decl, page));
  return pages;
}
