// Shared by the plugin's end-to-end tests: the plugin tarball as `npm run plugin` writes it
// (built once per process from this build's dist/, bundling the @pulumi/pulumi this run tests),
// a temp project dir outside the repository, and `pulumi` commands as a user runs them, with a
// stack's environment.
import { execFile, execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { haproxyBinary } from "../support/haproxy-binary";
import { pulumiBinDir, REPO_ROOT, type TestStack } from "../support/pulumi-stack";
import { sdkVersion, selectedSdk } from "../support/pulumi-sdk";
import { removeDir, trackDir } from "../support/registry";

export const PLUGIN_VERSION = (JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as { version: string }).version;

/** `HAProxy 3.2.26` of the binary the rigs run (its first line of `haproxy -v`). */
function haproxyVersion(): string {
  try {
    return `HAProxy ${execFileSync(haproxyBinary, ["-v"], { encoding: "utf8", timeout: 10_000 }).split(/\s+/)[2]}`;
  } catch {
    return `HAProxy (${haproxyBinary} -v failed)`;
  }
}

/** What this run's plugin tests ran on, for their titles: the npm test cell a reader sees in the log. */
export const RUN_ON = `Node ${process.versions.node}, @pulumi/pulumi ${sdkVersion()}, ${haproxyVersion()}`;

let tarball: Promise<string> | undefined;

/**
 * scripts/plugin.sh --no-build: the tarball's path, bundled once per process into a temp dir of
 * its own (cells bundle side by side) with the @pulumi/pulumi this run tests, which the plugin
 * then runs on the Node on PATH, this run's.
 */
export function pluginTarball(): Promise<string> {
  tarball ??= (async () => {
    const out = await tempDir("tarball");
    const args = [path.join(REPO_ROOT, "scripts", "plugin.sh"), "--no-build", "--sdk", selectedSdk, "--out", out];
    const { stdout, stderr } = await promisify(execFile)("bash", args, { cwd: REPO_ROOT, timeout: 180_000, maxBuffer: 16 * 1024 * 1024 }).catch((error: Error & { stderr?: string }) => {
      throw new Error(`npm run plugin failed: ${error.message}\n${error.stderr ?? ""}`);
    });
    process.stderr.write(`      (${stderr.trim().split("\n").pop()}; the plugin runs on Node ${process.versions.node})\n`);
    const written = stdout.trim().split("\n").pop()!.trim();
    await assertBundlesOnly(written, selectedSdk);
    return written;
  })();
  return tarball;
}

/**
 * The bundle holds the SDK `sdk` and no other copy of @pulumi/pulumi: esbuild names each bundled
 * file in a comment, by its real path relative to the repository (`// node_modules/...`, or
 * `// ../elsewhere/node_modules/...` when node_modules is a link).
 */
async function assertBundlesOnly(tarballPath: string, sdk: string): Promise<void> {
  const { stdout } = await promisify(execFile)("tar", ["-xzOf", tarballPath, "pulumi-resource-haproxy-cluster.js"], { maxBuffer: 64 * 1024 * 1024 });
  const copies = [...new Set([...stdout.matchAll(/^\/\/ (?:\S*\/)?node_modules\/(@pulumi\/pulumi[^/]*)\/version\.js$/gm)].map((m) => m[1]))];
  if (copies.length !== 1 || copies[0] !== sdk) throw new Error(`the plugin bundles ${copies.join(", ") || "no @pulumi/pulumi"} instead of ${sdk} alone`);
}

/** A new directory outside the repository, removed after the run. */
export async function tempDir(label: string): Promise<string> {
  const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), `plugin-${label}-`));
  trackDir(dir);
  return dir;
}

export async function removeTemp(dir: string | undefined): Promise<void> {
  if (dir) await removeDir(dir);
}

/** The tarball unpacked into `dir` (what `plugins.providers[].path` names). */
export async function unpackPlugin(dir: string): Promise<void> {
  await fs.promises.mkdir(dir, { recursive: true });
  await promisify(execFile)("tar", ["-xzf", await pluginTarball(), "-C", dir]);
}

/** Runs the CLI as a user would, with the stack's backend, passphrase and PULUMI_HOME. */
export async function pulumiCli(stack: TestStack, args: string[]): Promise<string> {
  const bin = await pulumiBinDir();
  const env = { ...process.env, ...stack.stack.workspace.envVars, PATH: `${bin}${path.delimiter}${process.env.PATH ?? ""}` };
  try {
    const { stdout, stderr } = await promisify(execFile)(path.join(bin, "pulumi"), [...args, "--non-interactive"], { cwd: stack.projectDir, env, timeout: 120_000, maxBuffer: 16 * 1024 * 1024 });
    return stdout + stderr;
  } catch (error) {
    const { stdout = "", stderr = "" } = error as { stdout?: string; stderr?: string };
    throw new Error(`pulumi ${args.join(" ")} failed: ${(error as Error).message}\n${stdout}${stderr}`);
  }
}

/** The directory of the @pulumi/pulumi this run tests. */
function selectedSdkDir(): string {
  return path.dirname(require.resolve(`${selectedSdk}/package.json`));
}

/**
 * node_modules for a Node.js program in `dir` with the @pulumi/pulumi this run tests (linked
 * by its real path, so that its own dependencies resolve from this checkout), as
 * test/e2e/lifecycle.test.ts links it.
 */
export async function linkSdk(dir: string): Promise<void> {
  await fs.promises.mkdir(path.join(dir, "node_modules", "@pulumi"), { recursive: true });
  const sdk = selectedSdkDir();
  // Under its alias too, which sdkEnv's resolver asks for from the program's directory.
  for (const name of new Set(["@pulumi/pulumi", selectedSdk])) await fs.promises.symlink(sdk, path.join(dir, "node_modules", name));
}

/** The generated Node.js SDK's package (sdk/nodejs) and the @pulumi/pulumi it asks for. */
const NODE_SDK_DIR = path.join(REPO_ROOT, "sdk", "nodejs");
const NODE_SDK_PACKAGE = JSON.parse(fs.readFileSync(path.join(NODE_SDK_DIR, "package.json"), "utf8")) as { name: string; dependencies: Record<string, string> };
/** The oldest @pulumi/pulumi the generated Node.js SDK takes (its dependency `^3.269.0`). */
export const NODE_SDK_NEEDS = NODE_SDK_PACKAGE.dependencies["@pulumi/pulumi"]!.replace(/^\^/, "");

/** Whether this run's @pulumi/pulumi is one the generated Node.js SDK takes. */
export function nodeSdkFits(): boolean {
  const [a, b] = [sdkVersion(), NODE_SDK_NEEDS].map((v) => v.split(".").map(Number));
  for (let i = 0; i < 3; i++) if (a![i]! !== b![i]!) return a![i]! > b![i]!;
  return true;
}

/**
 * The generated Node.js SDK built as its package would be published (its `tsc` output and
 * package.json) into `dir`/node_modules under its name, against the @pulumi/pulumi that
 * `linkSdk` put there: the program loads it as a user's would after `npm install`.
 */
export async function installNodeSdk(dir: string): Promise<string> {
  const out = path.join(dir, "node_modules", ...NODE_SDK_PACKAGE.name.split("/"));
  const sdk = selectedSdkDir();
  const config = path.join(dir, "tsconfig.sdk.json");
  const compilerOptions = {
    outDir: out,
    declaration: false,
    declarationMap: false,
    sourceMap: false,
    typeRoots: [path.join(REPO_ROOT, "node_modules", "@types")],
    paths: { "@pulumi/pulumi": [sdk], "@pulumi/pulumi/*": [`${sdk}/*`] },
  };
  await fs.promises.writeFile(config, JSON.stringify({ extends: path.join(NODE_SDK_DIR, "tsconfig.json"), compilerOptions }));
  const tsc = path.join(REPO_ROOT, "node_modules", "typescript", "bin", "tsc");
  await promisify(execFile)(process.execPath, [tsc, "-p", config], { cwd: REPO_ROOT, timeout: 120_000 }).catch((error: Error & { stdout?: string }) => {
    throw new Error(`the Node.js SDK does not build: ${error.stdout ?? error.message}`);
  });
  await fs.promises.copyFile(path.join(NODE_SDK_DIR, "package.json"), path.join(out, "package.json"));
  return NODE_SDK_PACKAGE.name;
}

/**
 * The environment that makes a Node.js program that also loads this checkout's library (whose
 * @pulumi/pulumi is the root's) load one SDK, the one this run tests: the same resolver as
 * mocha's (test/support/pulumi-sdk.ts), in every node the engine starts. Empty when the run
 * tests the root's SDK.
 */
export function sdkEnv(): Record<string, string> {
  if (selectedSdk === "@pulumi/pulumi") return {};
  const hook = path.join(REPO_ROOT, "dist", "test", "support", "pulumi-sdk.js");
  return { NODE_OPTIONS: [process.env.NODE_OPTIONS, `--require ${JSON.stringify(hook)}`].filter(Boolean).join(" "), HC_TEST_PULUMI_SDK: process.env.HC_TEST_PULUMI_SDK ?? "" };
}
