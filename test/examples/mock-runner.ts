// Child-process entry that runs one Pulumi program under `pulumi.runtime.setMocks` and
// writes what the engine would have been asked: every RegisterResource request (type,
// name, parent, dependencies, inputs with their secret marks, options) and the stack
// outputs. setMocks is process-global, so each program run gets a process of its own.
//
//   node mock-runner.js <spec.json>   (spec: MockRunSpec; the result goes to spec.resultFile)

import fs from "node:fs";
import type * as PulumiModule from "@pulumi/pulumi";

type MockResourceArgs = PulumiModule.runtime.MockResourceArgs;

export interface MockRunSpec {
  /** The program's entry file, as Pulumi.yaml's `main` names it. */
  program: string;
  /** The Pulumi project directory: the working directory of a real `pulumi up`. */
  projectDir: string;
  /** Pulumi.yaml's `name`: config keys are `<project>:<key>`. */
  project: string;
  stack: string;
  /** Stack config by key (without the project prefix); non-strings are passed as JSON. */
  config: Record<string, unknown>;
  /** Keys set with `pulumi config set --secret`. */
  secretKeys: string[];
  /** Run as `pulumi preview` (true) or `pulumi up` (false). */
  preview: boolean;
  resultFile: string;
}

export interface RecordedResource {
  type: string;
  name: string;
  urn: string;
  /** Name of the parent resource; undefined for the stack itself. */
  parent: string | undefined;
  custom: boolean;
  /** Names of the resources this one depends on (dependsOn and input dependencies). */
  dependencies: string[];
  /** Inputs with secrets unwrapped, without `__provider`. */
  inputs: Record<string, unknown>;
  /** Top-level inputs that reach the engine as secrets. */
  secretInputs: string[];
  additionalSecretOutputs: string[];
  deleteBeforeReplace: boolean;
  replaceOnChanges: string[];
  /** The serialized dynamic provider (`__provider`), for dynamic resources. */
  providerText?: string;
}

export interface MockRunResult {
  /** In registration order. */
  resources: RecordedResource[];
  /** Stack outputs, secrets unwrapped; undefined when the program failed. */
  outputs?: Record<string, unknown>;
  /** Stack outputs that are secret. */
  secretOutputs: string[];
  /** The program's error, when it failed. */
  error?: string;
}

/** How the engine's wire format marks a secret value. */
const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

/** Exit code when the program failed and the result file says why (harness.ts knows it too). */
const PROGRAM_FAILED = 2;

function isSecretValue(value: unknown): value is { value: unknown } {
  return typeof value === "object" && value !== null && (value as Record<string, unknown>)[SECRET_SIG_KEY] === SECRET_SIG;
}

function unwrapSecrets(value: unknown): unknown {
  if (isSecretValue(value)) return unwrapSecrets(value.value);
  if (Array.isArray(value)) return value.map(unwrapSecrets);
  if (typeof value === "object" && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrapSecrets(v)]));
  return value;
}

/** The last URN segment is the resource's name. */
function nameOf(urn: string): string {
  return urn.slice(urn.lastIndexOf("::") + 2);
}

/** Plausible outputs for the resources the examples declare, so stack outputs resolve. */
function mockOutputs(args: MockResourceArgs): Record<string, unknown> {
  const inputs = args.inputs as Record<string, any>;
  const takenAt = "2030-01-01T00:00:00.000Z";
  if (args.type.endsWith(":ClusterReadinessGate")) {
    const servers = ["server1", "server2", "server3"].map((name) => ({ name, status: "UP", admin: "ready", serving: true }));
    return {
      passedAt: takenAt,
      waitedSeconds: 1,
      polls: 3,
      health: {
        takenAt,
        healthy: true,
        members: (inputs.members ?? []).map((member: string) => ({
          member,
          ok: true,
          backends: [{ name: inputs.backend, serving: 3, total: 3, percent: 100, rollingRestartable: true, rate: 0, backlog: 0, sessions: 0, servers }],
        })),
      },
    };
  }
  if (args.type.endsWith(":ServerDrain")) {
    const mode = inputs.mode ?? "drain";
    return { drainedOn: inputs.members, failedOn: {}, drainedAt: takenAt, adminState: Object.fromEntries((inputs.members ?? []).map((m: string) => [m, mode])) };
  }
  if (args.type.endsWith(":AppInstance")) {
    // The port is the kernel's choice at create: a plausible one per slot (app1 → 40001).
    const port = 40000 + Number(/\d+$/.exec(String(inputs.name))?.[0] ?? 0);
    const address = `${inputs.host ?? "127.0.0.1"}:${port}`;
    return { port, address, server: `${inputs.name}-${port}`, pid: 4242, url: `http://${address}/`, startedAt: takenAt, running: true };
  }
  if (args.type.endsWith(":AppServerDeployment")) {
    return { pid: 4242, url: `http://${inputs.host ?? "127.0.0.1"}:${inputs.port}/`, startedAt: takenAt, previousStop: "none", running: true };
  }
  return {};
}

async function main(): Promise<number> {
  const spec = JSON.parse(fs.readFileSync(process.argv[2]!, "utf8")) as MockRunSpec;
  process.chdir(spec.projectDir);
  // The program's own copy of the SDK: the one `pulumi up` would run it with.
  const pulumi = require(require.resolve("@pulumi/pulumi", { paths: [spec.projectDir] })) as typeof PulumiModule;

  const configText = (value: unknown): string => (typeof value === "string" ? value : JSON.stringify(value));
  pulumi.runtime.setAllConfig(
    Object.fromEntries(Object.entries(spec.config).map(([k, v]) => [`${spec.project}:${k}`, configText(v)])),
    spec.secretKeys.map((k) => `${spec.project}:${k}`),
  );

  await pulumi.runtime.setMocks(
    {
      newResource: (args) => ({ id: args.custom ? `${args.name}-id` : undefined, state: { ...args.inputs, ...mockOutputs(args) } }),
      call: (args) => {
        throw new Error(`the examples invoke no provider function, but ${args.token} was called`);
      },
    },
    spec.project,
    spec.stack,
    spec.preview,
  );

  // Listen in on the requests the SDK sends to the (mock) engine: they carry exactly
  // what `pulumi up` would see, secrets and dependencies included.
  const resources: RecordedResource[] = [];
  const stackOutputs: { raw?: Record<string, unknown> } = {};
  const monitor = pulumi.runtime.getMonitor() as any;
  const registerResource = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req: any, callback: (err: unknown, res: any) => void) => {
    const raw = (req.getObject()?.toJavaScript() ?? {}) as Record<string, unknown>;
    const providerText = raw.__provider === undefined ? undefined : String(unwrapSecrets(raw.__provider));
    delete raw.__provider;
    const propertyDependencies: string[] = [];
    req.getPropertydependenciesMap().forEach((deps: any) => propertyDependencies.push(...deps.getUrnsList()));
    const record: RecordedResource = {
      type: req.getType(),
      name: req.getName(),
      urn: "",
      parent: req.getParent() ? nameOf(req.getParent()) : undefined,
      custom: req.getCustom(),
      dependencies: [...new Set([...req.getDependenciesList(), ...propertyDependencies].map(nameOf))],
      inputs: unwrapSecrets(raw) as Record<string, unknown>,
      secretInputs: Object.entries(raw).filter(([, v]) => isSecretValue(v)).map(([k]) => k),
      additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
      deleteBeforeReplace: req.getDeletebeforereplace(),
      replaceOnChanges: req.getReplaceonchangesList(),
      ...(providerText === undefined ? {} : { providerText }),
    };
    resources.push(record);
    return registerResource(req, (err: unknown, res: any) => {
      if (res) record.urn = res.getUrn();
      callback(err, res);
    });
  };
  const registerResourceOutputs = monitor.registerResourceOutputs.bind(monitor);
  monitor.registerResourceOutputs = (req: any, callback: (err: unknown, res: any) => void) => {
    if (req.getUrn().includes("::pulumi:pulumi:Stack::")) stackOutputs.raw = req.getOutputs()?.toJavaScript() ?? {};
    return registerResourceOutputs(req, callback);
  };

  const result: MockRunResult = { resources, secretOutputs: [] };
  try {
    // As `pulumi up` runs it: the module's exports become the stack's outputs.
    const outputs = await pulumi.runtime.runInPulumiStack(async () => require(spec.program));
    await pulumi.runtime.disconnect();
    result.outputs = (outputs ?? {}) as Record<string, unknown>;
    result.secretOutputs = Object.entries(stackOutputs.raw ?? {}).filter(([, v]) => isSecretValue(v)).map(([k]) => k);
  } catch (error) {
    result.error = error instanceof Error ? error.message : String(error);
  }
  fs.writeFileSync(spec.resultFile, JSON.stringify(result, null, 2));
  return result.error === undefined ? 0 : PROGRAM_FAILED;
}

main().then(
  // A failed program leaves the SDK's promises pending: a non-zero code keeps its leak report quiet.
  (code) => process.exit(code),
  (error) => {
    console.error(error instanceof Error ? error.stack : error);
    process.exit(1);
  },
);
