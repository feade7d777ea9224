// The SDKs in sdk/, written by Pulumi's code generators from schema.json (npm run sdks): the
// committed files are what the generator writes today, the Go SDK builds against
// github.com/pulumi/pulumi/sdk/v3 with its committed go.sum, and the Python SDK byte-compiles
// (Python's `pulumi` package cannot be installed here, so it is not imported), and the Node.js SDK
// type-checks against the newest @pulumi/pulumi the tests install (it needs >= 3.269, newer
// than the root's 3.248).
import { strict as assert } from "node:assert";
import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { REPO_ROOT } from "../support/pulumi-stack";
import { NEWEST_SDK } from "../support/pulumi-sdk";
import { go } from "./go";
import { removeTemp, tempDir } from "./helpers";

const SDK_DIR = path.join(REPO_ROOT, "sdk");

/** Every file under dir, relative, with its content. */
async function tree(dir: string): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for (const entry of await fs.promises.readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    files.set(path.relative(dir, file), await fs.promises.readFile(file, "utf8"));
  }
  return files;
}

describe("plugin: the generated SDKs (sdk/)", function () {
  this.timeout(30 * 60_000);
  let scratch: string;

  before(async function () {
    scratch = await tempDir("sdks");
  });

  after(async function () {
    await removeTemp(scratch);
  });

  it("are what npm run sdks writes from schema.json today", async function () {
    await promisify(execFile)("bash", [path.join(REPO_ROOT, "scripts", "gen-sdk.sh"), scratch], { cwd: REPO_ROOT, timeout: 30 * 60_000, maxBuffer: 16 * 1024 * 1024 });
    const [written, committed] = await Promise.all([tree(scratch), tree(SDK_DIR)]);
    const differing = [...new Set([...written.keys(), ...committed.keys()])].filter((f) => written.get(f) !== committed.get(f)).sort();
    assert.deepEqual(differing, [], "sdk/ differs from what the generator writes: run `npm run sdks` and commit sdk/");
    for (const language of ["go", "python", "nodejs"]) assert.ok(committed.has(path.join(language, language === "go" ? "haproxycluster/serverDrain.go" : language === "python" ? "pulumi_haproxy_cluster/server_drain.py" : "serverDrain.ts")), language);
  });

  it("the Go SDK builds and vets with its committed go.mod and go.sum", async function () {
    const dir = path.join(SDK_DIR, "go");
    await go(["build", "-mod=readonly", "./..."], dir);
    await go(["vet", "-mod=readonly", "./..."], dir);
    const listed = await go(["list", "-mod=readonly", "-f", "{{.ImportPath}} {{.Name}}", "./..."], dir);
    assert.match(listed, /^haproxy-cluster\/sdk\/go\/haproxycluster haproxycluster$/m, listed);
  });

  it("the Python SDK byte-compiles with python3, and names the plugin's version", async function () {
    const dir = path.join(SDK_DIR, "python");
    const pycache = path.join(scratch, "pycache");
    try {
      await promisify(execFile)("python3", ["-m", "compileall", "-q", dir], { env: { ...process.env, PYTHONPYCACHEPREFIX: pycache } });
    } catch (error) {
      if ((error as { code?: string }).code === "ENOENT") throw new Error("python3 is not installed: install Python >= 3.9 to byte-compile the Python SDK.");
      throw error;
    }
    const compiled = (await fs.promises.readdir(pycache, { recursive: true })).filter((f) => String(f).endsWith(".pyc"));
    assert.ok(compiled.some((f) => String(f).includes("server_drain")), `compiled: ${compiled.join(", ")}`);
    const plugin = JSON.parse(await fs.promises.readFile(path.join(dir, "pulumi_haproxy_cluster", "pulumi-plugin.json"), "utf8")) as { name: string; version: string };
    const { version } = JSON.parse(await fs.promises.readFile(path.join(REPO_ROOT, "package.json"), "utf8")) as { version: string };
    assert.deepEqual(plugin, { resource: true, name: "haproxy-cluster", version });
  });

  it("the Node.js SDK type-checks with its own tsconfig against the newest @pulumi/pulumi", async function () {
    const config = path.join(scratch, "tsconfig.json");
    const newest = path.join(REPO_ROOT, "node_modules", NEWEST_SDK);
    const compilerOptions = {
      noEmit: true,
      typeRoots: [path.join(REPO_ROOT, "node_modules", "@types")],
      paths: { "@pulumi/pulumi": [newest], "@pulumi/pulumi/*": [`${newest}/*`] },
    };
    await fs.promises.writeFile(config, JSON.stringify({ extends: path.join(SDK_DIR, "nodejs", "tsconfig.json"), compilerOptions }));
    const tsc = path.join(REPO_ROOT, "node_modules", "typescript", "bin", "tsc");
    await promisify(execFile)(process.execPath, [tsc, "-p", config], { cwd: REPO_ROOT, timeout: 120_000 }).catch((error: Error & { stdout?: string }) => {
      throw new Error(`the Node.js SDK does not type-check: ${error.stdout ?? error.message}`);
    });
  });
});
