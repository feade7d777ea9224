// Real Pulumi stacks for the end-to-end tests: the CLI that scripts/pulumi-cli.sh provides
// (built once, cached), one LocalWorkspace stack per project with a file backend and a
// PULUMI_HOME of its own in temp dirs, every engine line and event kept, and a cleanup
// (destroy, remove the stack, delete its files) registered with the rig's registry.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import {
  LocalWorkspace,
  PulumiCommand,
  type DestroyResult,
  type EngineEvent,
  type OutputMap,
  type PreviewResult,
  type RefreshResult,
  type Stack,
  type UpResult,
} from "@pulumi/pulumi/automation";
import { removeDir, trackDir, trackStop } from "./registry";

/** The repository root (this file runs from dist/test/support). */
export const REPO_ROOT = path.resolve(__dirname, "..", "..", "..");

/** A cold build of the CLI takes minutes; a cached one answers at once. */
const CLI_TIMEOUT_MS = 40 * 60_000;
/** Default deadline of one preview/up/refresh/destroy. */
const OPERATION_TIMEOUT_MS = 5 * 60_000;
/** How long an aborted operation (SIGINT to pulumi) gets to wind down before we stop waiting. */
const ABORT_GRACE_MS = 30_000;

let binDir: Promise<string> | undefined;

/** The `bin` dir holding pulumi, pulumi-language-nodejs and the dynamic-provider shim (once per process). */
export function pulumiBinDir(): Promise<string> {
  binDir ??= (async () => {
    const script = path.join(REPO_ROOT, "scripts", "pulumi-cli.sh");
    try {
      const { stdout } = await promisify(execFile)("bash", [script], { cwd: REPO_ROOT, timeout: CLI_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 });
      const dir = stdout.trim().split("\n").pop()?.trim() ?? "";
      if (!dir || !fs.existsSync(path.join(dir, "pulumi"))) throw new Error(`its last line ${JSON.stringify(dir)} is not a dir holding pulumi`);
      return dir;
    } catch (error) {
      const { stderr = "" } = error as { stderr?: string };
      throw new Error(`scripts/pulumi-cli.sh did not provide the Pulumi CLI: ${(error as Error).message}\n${stderr}`);
    }
  })();
  return binDir;
}

/** Set by scripts/test.sh once every example project is installed and holds this checkout's files. */
export const EXAMPLES_PREPARED_ENV = "HC_TEST_EXAMPLES_PREPARED";

const installs = new Map<string, Promise<void>>();

/**
 * Installs an example project's own npm packages (`npm ci` from its lock file, which links
 * haproxy-cluster to this checkout) unless they are there: a clean clone has none.
 */
export async function installProject(dir: string): Promise<void> {
  const installed = ["@pulumi/pulumi/package.json", "haproxy-cluster/package.json"].every((p) => fs.existsSync(path.join(dir, "node_modules", p)));
  if (installed) return refreshInstalledCopy(dir);
  let install = installs.get(dir);
  if (!install) {
    install = promisify(execFile)("npm", ["ci", "--no-audit", "--no-fund"], { cwd: dir, timeout: 15 * 60_000, maxBuffer: 64 * 1024 * 1024 }).then(
      () => undefined,
      (error: Error & { stderr?: string }) => {
        throw new Error(`npm ci in ${dir} failed: ${error.message}\n${error.stderr ?? ""}`);
      },
    );
    installs.set(dir, install);
  }
  await install;
}

/**
 * The examples install haproxy-cluster as a copy (install-links, so that it shares the
 * project's one @pulumi/pulumi): after a rebuild, the copy gets this checkout's files again.
 */
export async function refreshInstalledCopy(dir: string): Promise<void> {
  // npm test installs and refreshes every example once before its cells run side by side
  // (scripts/test.sh, prepare-examples.ts): a cell rewriting a copy that another cell is
  // loading would break that cell.
  if (process.env[EXAMPLES_PREPARED_ENV] === "1") return;
  const copy = path.join(dir, "node_modules", "haproxy-cluster");
  if ((await fs.promises.lstat(copy)).isSymbolicLink()) return;
  const { files } = JSON.parse(await fs.promises.readFile(path.join(REPO_ROOT, "package.json"), "utf8")) as { files: string[] };
  for (const file of [...files, "package.json"]) {
    await fs.promises.rm(path.join(copy, file), { recursive: true, force: true });
    await fs.promises.cp(path.join(REPO_ROOT, file), path.join(copy, file), { recursive: true });
  }
}

export type Operation = "preview" | "up" | "refresh" | "destroy";

/** What one operation left behind, kept whether it succeeded or failed. */
export interface OperationRecord {
  operation: Operation;
  /** stdout and stderr of the CLI, as it printed them. */
  text: string;
  events: EngineEvent[];
  error?: Error;
}

/** An operation that failed: the CLI's words, with what it printed and reported. */
export class OperationFailed extends Error {
  override name = "OperationFailed";
  constructor(readonly record: OperationRecord) {
    super(`pulumi ${record.operation} failed: ${record.error?.message ?? "unknown error"}`);
  }
}

export interface StackOptions {
  /** Absolute path of the Pulumi project directory (where Pulumi.yaml is). */
  projectDir: string;
  /** Short name for the stack name and messages. */
  label: string;
  /** Plain config; values that are not strings are stored as JSON (the programs use requireObject). */
  config?: Record<string, unknown>;
  /** Secret config (`pulumi config set --secret`). */
  secrets?: Record<string, string>;
  /** Extra environment of every pulumi command. */
  env?: Record<string, string>;
}

export interface OperationOptions {
  /** Default 5 minutes; the operation is then aborted (SIGINT) and the call fails. */
  timeoutMs?: number;
}

export interface TestStack {
  readonly stack: Stack;
  readonly name: string;
  readonly projectDir: string;
  /** The file backend's directory and PULUMI_HOME: everything Pulumi wrote for this stack. */
  readonly dirs: { backend: string; home: string };
  /** Every operation so far, in order. */
  readonly records: OperationRecord[];
  /** Sets plain (and secret) config values. */
  setConfig(values: Record<string, unknown>, secrets?: Record<string, string>): Promise<void>;
  removeConfig(key: string): Promise<void>;
  preview(options?: OperationOptions): Promise<PreviewResult & { record: OperationRecord }>;
  up(options?: OperationOptions): Promise<UpResult & { record: OperationRecord }>;
  refresh(options?: OperationOptions): Promise<RefreshResult & { record: OperationRecord }>;
  destroy(options?: OperationOptions): Promise<DestroyResult & { record: OperationRecord }>;
  /** The stack outputs as plain values (secrets decrypted). */
  outputs(): Promise<Record<string, unknown>>;
  /**
   * `pulumi stack export` as a user runs it: secrets stay encrypted. (The Automation API's
   * `exportStack()` adds `--show-secrets`, so its JSON holds every secret in plaintext.)
   */
  exportEncrypted(): Promise<{ version: number; deployment: { resources?: Array<Record<string, any>> } & Record<string, unknown> }>;
  /**
   * Starts `pulumi ARGS --stack NAME` as a user would, in its own process group (so that
   * a test can interrupt it, and end what it started), with this stack's environment.
   */
  spawnCli(args: string[]): ChildProcess;
  /** Destroys (unless already destroyed), removes the stack, its config file and temp dirs. Idempotent. */
  cleanup(): Promise<void>;
}

function configValue(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

export function plainOutputs(outputs: OutputMap): Record<string, unknown> {
  return Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, v.value]));
}

/** Creates a stack for a project dir with a file backend and PULUMI_HOME of its own. */
export async function createStack(options: StackOptions): Promise<TestStack> {
  const bin = await pulumiBinDir();
  const pulumiCommand = await PulumiCommand.get({ root: path.dirname(bin) });
  const backend = await fs.promises.mkdtemp(path.join(os.tmpdir(), `e2e-pulumi-state-${options.label}-`));
  const home = await fs.promises.mkdtemp(path.join(os.tmpdir(), `e2e-pulumi-home-${options.label}-`));
  const name = `e2e-${options.label}-${randomBytes(4).toString("hex")}`;
  const stackConfigFile = path.join(options.projectDir, `Pulumi.${name}.yaml`);
  const envVars: Record<string, string> = {
    PULUMI_BACKEND_URL: `file://${backend}`,
    PULUMI_CONFIG_PASSPHRASE: `e2e-passphrase-${randomBytes(8).toString("hex")}`,
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    PULUMI_HOME: home,
    ...options.env,
  };

  const records: OperationRecord[] = [];
  const running = new Set<{ abort: AbortController; done: Promise<unknown> }>();
  let destroyed = false;
  let cleaned: Promise<void> | undefined;

  // Swept by the registry even when nothing asynchronous can run any more (exit, Ctrl-C).
  for (const place of [stackConfigFile, backend, home]) trackDir(place);
  const removeFiles = async (): Promise<void> => {
    for (const place of [stackConfigFile, backend, home]) await removeDir(place);
  };

  let stack: Stack;
  try {
    stack = await LocalWorkspace.createOrSelectStack({ stackName: name, workDir: options.projectDir }, { pulumiCommand, envVars });
  } catch (error) {
    await removeFiles();
    throw error;
  }

  /** Runs one operation with a deadline, keeping its text and events whatever happens. */
  async function operate<T extends object>(operation: Operation, timeoutMs: number, run: (callbacks: {
    onOutput: (out: string) => void;
    onError: (err: string) => void;
    onEvent: (event: EngineEvent) => void;
    signal: AbortSignal;
  }) => Promise<T>): Promise<T & { record: OperationRecord }> {
    const record: OperationRecord = { operation, text: "", events: [] };
    records.push(record);
    const abort = new AbortController();
    const done = run({
      onOutput: (out) => (record.text += out),
      onError: (err) => (record.text += err),
      onEvent: (event) => record.events.push(event),
      signal: abort.signal,
    });
    const entry = { abort, done: done.catch(() => undefined) };
    running.add(entry);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        abort.abort();
        reject(new Error(`pulumi ${operation} of stack ${name} did not finish within ${timeoutMs} ms (aborted)`));
      }, timeoutMs);
    });
    try {
      const result = await Promise.race([done, timedOut]);
      return Object.assign(result, { record });
    } catch (error) {
      record.error = error instanceof Error ? error : new Error(String(error));
      throw new OperationFailed(record);
    } finally {
      clearTimeout(timer);
      // After a timeout the CLI got SIGINT: give it a bounded time to end before moving on.
      await Promise.race([entry.done, new Promise((resolve) => setTimeout(resolve, ABORT_GRACE_MS).unref())]);
      running.delete(entry);
    }
  }

  const untrack = trackStop(`pulumi stack ${name}`, () => testStack.cleanup());

  const testStack: TestStack = {
    stack,
    name,
    projectDir: options.projectDir,
    dirs: { backend, home },
    records,
    async setConfig(values, secrets = {}) {
      const map = {
        ...Object.fromEntries(Object.entries(values).map(([k, v]) => [k, { value: configValue(v) }])),
        ...Object.fromEntries(Object.entries(secrets).map(([k, v]) => [k, { value: v, secret: true }])),
      };
      await stack.setAllConfig(map);
    },
    async removeConfig(key) {
      await stack.removeConfig(key);
    },
    preview: (o = {}) => operate("preview", o.timeoutMs ?? OPERATION_TIMEOUT_MS, (cb) => stack.preview(cb)),
    up: (o = {}) => operate("up", o.timeoutMs ?? OPERATION_TIMEOUT_MS, (cb) => stack.up(cb)),
    refresh: (o = {}) => operate("refresh", o.timeoutMs ?? OPERATION_TIMEOUT_MS, (cb) => stack.refresh(cb)),
    destroy: async (o = {}) => {
      const result = await operate("destroy", o.timeoutMs ?? OPERATION_TIMEOUT_MS, (cb) => stack.destroy(cb));
      destroyed = true;
      return result;
    },
    async outputs() {
      return plainOutputs(await stack.outputs());
    },
    spawnCli(args) {
      return spawn(path.join(bin, "pulumi"), [...args, "--stack", name, "--non-interactive"], {
        cwd: options.projectDir,
        env: { ...process.env, ...envVars, PATH: `${bin}${path.delimiter}${process.env.PATH ?? ""}` },
        stdio: ["ignore", "pipe", "pipe"],
        detached: true,
      });
    },
    async exportEncrypted() {
      const { stdout } = await promisify(execFile)(path.join(bin, "pulumi"), ["stack", "export", "--stack", name, "--non-interactive"], {
        cwd: options.projectDir,
        env: { ...process.env, ...envVars, PATH: `${bin}${path.delimiter}${process.env.PATH ?? ""}` },
        timeout: 60_000,
        maxBuffer: 64 * 1024 * 1024,
      });
      return JSON.parse(stdout);
    },
    cleanup() {
      cleaned ??= (async () => {
        untrack();
        const problems: string[] = [];
        for (const entry of running) {
          entry.abort.abort();
          await Promise.race([entry.done, new Promise((resolve) => setTimeout(resolve, ABORT_GRACE_MS).unref())]);
        }
        // A stack that never ran `up` has nothing to destroy.
        if (!destroyed && records.some((r) => r.operation === "up")) {
          try {
            await testStack.destroy();
          } catch (error) {
            // An aborted operation leaves pending operations in state, which block destroy: drop them, try once more.
            try {
              const state = await stack.exportStack();
              if ((state.deployment.pending_operations ?? []).length > 0) {
                delete state.deployment.pending_operations;
                await stack.importStack(state);
              }
              await testStack.destroy();
            } catch {
              problems.push(`destroy of stack ${name} failed: ${(error as Error).message}`);
            }
          }
        }
        await stack.workspace.removeStack(name, { force: true }).catch((error: Error) => problems.push(`stack rm ${name}: ${error.message}`));
        await removeFiles();
        if (problems.length > 0) throw new Error(problems.join("\n"));
      })();
      return cleaned;
    },
  };

  try {
    if (options.config || options.secrets) await testStack.setConfig(options.config ?? {}, options.secrets);
  } catch (error) {
    await testStack.cleanup().catch(() => undefined);
    throw error;
  }
  return testStack;
}
