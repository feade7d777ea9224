// A Pulumi stack of an example project, driven through the Automation API with the CLI
// from scripts/pulumi-cli.sh, kept entirely in a temp dir: the file backend, PULUMI_HOME,
// and a copy of the project (Pulumi.yaml copied, every other entry symlinked), so the
// stack's settings file never lands in the repository.
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { LocalWorkspace, PulumiCommand, type ConfigMap, type Stack } from "@pulumi/pulumi/automation";
import { installProject } from "../../test/support/pulumi-stack";
import { removeDir, trackDir } from "../../test/support/registry";
import { REPO_ROOT } from "./apps";

export interface PulumiStackOptions {
  /** The Pulumi project to run (a directory with Pulumi.yaml and installed node_modules). */
  projectDir: string;
  stackName: string;
  config: ConfigMap;
}

export interface PulumiStack {
  stack: Stack;
  /** The temp dir holding the project copy, the state and PULUMI_HOME. */
  dir: string;
  /** Removes the temp dir (the stack's state with it). Resources are left as they are. */
  dispose(): Promise<void>;
}

/** The `bin` dir of scripts/pulumi-cli.sh: pulumi, the language host and the provider shim (built once, then cached). */
export async function pulumiBinDir(): Promise<string> {
  const { stdout } = await promisify(execFile)("bash", [path.join(REPO_ROOT, "scripts", "pulumi-cli.sh")], { timeout: 30 * 60_000, maxBuffer: 16 * 1024 * 1024 });
  const bin = stdout.trim().split("\n").pop() ?? "";
  if (!fs.existsSync(path.join(bin, "pulumi"))) throw new Error(`scripts/pulumi-cli.sh printed ${JSON.stringify(bin)}, which holds no pulumi`);
  return bin;
}

export async function openPulumiStack(options: PulumiStackOptions): Promise<PulumiStack> {
  // A clean clone has no node_modules in the example: the copy below links to them.
  await installProject(options.projectDir);
  const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), "haproxy-cluster-bench-pulumi-"));
  trackDir(dir);
  try {
    const workDir = path.join(dir, "project");
    fs.mkdirSync(workDir);
    for (const entry of fs.readdirSync(options.projectDir)) {
      if (/^Pulumi\..+\.ya?ml$/.test(entry)) continue; // another stack's settings
      const from = path.join(options.projectDir, entry);
      if (entry === "Pulumi.yaml") fs.copyFileSync(from, path.join(workDir, entry));
      else fs.symlinkSync(from, path.join(workDir, entry));
    }
    fs.mkdirSync(path.join(dir, "state"));
    const pulumiCommand = await PulumiCommand.get({ root: path.dirname(await pulumiBinDir()) });
    const stack = await LocalWorkspace.createOrSelectStack(
      { stackName: options.stackName, workDir },
      {
        pulumiCommand,
        envVars: {
          PULUMI_BACKEND_URL: `file://${path.join(dir, "state")}`,
          PULUMI_CONFIG_PASSPHRASE: "x",
          PULUMI_SKIP_UPDATE_CHECK: "true",
          PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
          PULUMI_HOME: path.join(dir, "home"),
        },
      },
    );
    await stack.setAllConfig(options.config);
    return { stack, dir, dispose: () => removeDir(dir) };
  } catch (error) {
    await removeDir(dir);
    throw error;
  }
}
