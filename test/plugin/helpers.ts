// Shared by the plugin's end-to-end tests: the plugin tarball as `npm run plugin` writes it
// (built once per process from this build's dist/), a temp project dir outside the
// repository, and `pulumi` commands as a user runs them, with a stack's environment.
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { pulumiBinDir, REPO_ROOT, type TestStack } from "../support/pulumi-stack";
import { removeDir, trackDir } from "../support/registry";

export const PLUGIN_VERSION = (JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as { version: string }).version;

let tarball: Promise<string> | undefined;

/** scripts/plugin.sh --no-build: the tarball's path (bundled once per process). */
export function pluginTarball(): Promise<string> {
  tarball ??= promisify(execFile)("bash", [path.join(REPO_ROOT, "scripts", "plugin.sh"), "--no-build"], { cwd: REPO_ROOT, timeout: 180_000, maxBuffer: 16 * 1024 * 1024 }).then(
    ({ stdout }) => stdout.trim().split("\n").pop()!.trim(),
    (error: Error & { stderr?: string }) => {
      throw new Error(`npm run plugin failed: ${error.message}\n${error.stderr ?? ""}`);
    },
  );
  return tarball;
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
