// Runs the example Pulumi programs under mocks, each run in a child process of its own
// (mock-runner.ts), and reads the resource graph they declare.
import { execFile, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { promisify } from "node:util";
import { refreshInstalledCopy } from "../support/pulumi-stack";
import type { MockRunResult, MockRunSpec, RecordedResource } from "./mock-runner";

/** mock-runner's exit code for "the program failed; the result file says why" (not imported: importing runs it). */
const PROGRAM_FAILED = 2;

export type { MockRunResult, RecordedResource };

/** The repository root (this file runs from dist/test/examples). */
export const REPO_ROOT = path.resolve(__dirname, "..", "..", "..");
export const EXAMPLES_DIR = path.join(REPO_ROOT, "examples");

const RUNNER = path.join(__dirname, "mock-runner.js");
const RUN_TIMEOUT_MS = 60_000;

let modulesDir: string | undefined;

/**
 * A directory for NODE_PATH in which `haproxy-cluster` is this checkout, as
 * `npm install` of an example (`"haproxy-cluster": "file:../.."`) would link it: the
 * examples then run without an install of their own.
 */
function linkedModulesDir(): string {
  if (modulesDir) return modulesDir;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "haproxy-cluster-examples-"));
  fs.symlinkSync(REPO_ROOT, path.join(dir, "haproxy-cluster"), "dir");
  process.once("exit", () => fs.rmSync(dir, { recursive: true, force: true }));
  modulesDir = dir;
  return dir;
}

export interface ProgramRun {
  /** Entry file, relative to the repository root (e.g. `examples/rolling-deploy/index.js`). */
  program: string;
  /** Project directory, relative to the repository root (e.g. `examples/rolling-deploy`). */
  projectDir: string;
  /** Pulumi.yaml's name. */
  project: string;
  config: Record<string, unknown>;
  secretKeys?: string[];
  preview?: boolean;
  /** Extra environment for the program. */
  env?: Record<string, string>;
}

/** Runs a program under mocks in a fresh process and returns what it declared. */
export async function runProgram(run: ProgramRun): Promise<MockRunResult> {
  const work = await fs.promises.mkdtemp(path.join(os.tmpdir(), "haproxy-cluster-mock-run-"));
  try {
    const spec: MockRunSpec = {
      program: path.join(REPO_ROOT, run.program),
      projectDir: path.join(REPO_ROOT, run.projectDir),
      project: run.project,
      stack: "test",
      // A key set to undefined is a key not set.
      config: Object.fromEntries(Object.entries(run.config).filter(([, v]) => v !== undefined)),
      secretKeys: run.secretKeys ?? [],
      preview: run.preview ?? false,
      resultFile: path.join(work, "result.json"),
    };
    // An example installed by the end-to-end tests holds a copy of this package: keep it current.
    if (fs.existsSync(path.join(spec.projectDir, "node_modules", "haproxy-cluster"))) await refreshInstalledCopy(spec.projectDir);
    const specFile = path.join(work, "spec.json");
    await fs.promises.writeFile(specFile, JSON.stringify(spec));
    const nodePath = [linkedModulesDir(), process.env.NODE_PATH].filter(Boolean).join(path.delimiter);
    try {
      await promisify(execFile)(process.execPath, [RUNNER, specFile], {
        cwd: spec.projectDir,
        env: { ...process.env, NODE_PATH: nodePath, ...run.env },
        timeout: RUN_TIMEOUT_MS,
        maxBuffer: 16 * 1024 * 1024,
      });
    } catch (error) {
      const { code, stdout = "", stderr = "" } = error as { code?: number; stdout?: string; stderr?: string };
      if (code === PROGRAM_FAILED && fs.existsSync(spec.resultFile)) return JSON.parse(await fs.promises.readFile(spec.resultFile, "utf8")) as MockRunResult;
      throw new Error(`mock run of ${run.program} failed: ${(error as Error).message}\n--- stdout ---\n${stdout}\n--- stderr ---\n${stderr}`);
    }
    return JSON.parse(await fs.promises.readFile(spec.resultFile, "utf8")) as MockRunResult;
  } finally {
    await fs.promises.rm(work, { recursive: true, force: true });
  }
}

/** The resource named `name`; fails the test if there is none. */
export function resource(result: MockRunResult, name: string): RecordedResource {
  const found = result.resources.find((r) => r.name === name);
  if (!found) throw new Error(`no resource named ${name}; declared: ${result.resources.map((r) => r.name).join(", ")}`);
  return found;
}

/** Resources whose type ends with `:<kind>` (e.g. `ServerDrain`), in registration order. */
export function ofKind(result: MockRunResult, kind: string): RecordedResource[] {
  return result.resources.filter((r) => r.type.endsWith(`:${kind}`));
}

/** The program's outputs; fails the test with the program's error if it failed. */
export function outputsOf(result: MockRunResult): Record<string, any> {
  if (result.error !== undefined) throw new Error(`the program failed: ${result.error}`);
  return result.outputs as Record<string, any>;
}

const PROVIDER_HOST = path.join(__dirname, "provider-host.js");

export interface ProviderHost {
  /** Calls a provider method as the engine would; rejects with the provider's error message. */
  call<T = any>(method: "check" | "diff" | "create" | "update" | "delete" | "read", ...args: unknown[]): Promise<T>;
  /** What the provider printed (stdout and stderr). */
  output(): string;
  stop(): Promise<void>;
}

/**
 * Loads a serialized provider in a fresh Node.js process whose working directory is the
 * project directory: what Pulumi's dynamic provider process does with `__provider`.
 */
export async function startProviderHost(providerText: string, projectDir: string): Promise<ProviderHost> {
  const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), "haproxy-cluster-provider-"));
  const textFile = path.join(dir, "provider.js");
  await fs.promises.writeFile(textFile, providerText);
  const child = spawn(process.execPath, [PROVIDER_HOST, textFile], { cwd: path.resolve(REPO_ROOT, projectDir), stdio: ["pipe", "pipe", "pipe", "pipe"] });
  let printed = "";
  child.stdout!.on("data", (chunk: Buffer) => (printed += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (printed += chunk.toString()));
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  void exited.then(() => {
    for (const p of pending.values()) p.reject(new Error(`the provider host exited: ${printed}`));
    pending.clear();
  });
  createInterface({ input: child.stdio[3] as NodeJS.ReadableStream }).on("line", (line) => {
    const reply = JSON.parse(line) as { id: number; result?: unknown; error?: { message: string } };
    const waiter = pending.get(reply.id);
    pending.delete(reply.id);
    if (reply.error) waiter?.reject(Object.assign(new Error(reply.error.message), reply.error));
    else waiter?.resolve(reply.result);
  });
  let nextId = 1;
  return {
    call: (method, ...args) =>
      new Promise((resolve, reject) => {
        const id = nextId++;
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
        child.stdin!.write(`${JSON.stringify({ id, method, args })}\n`);
      }),
    output: () => printed,
    stop: async () => {
      child.stdin!.end();
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
      await fs.promises.rm(dir, { recursive: true, force: true });
    },
  };
}
