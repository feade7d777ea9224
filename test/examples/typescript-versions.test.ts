// The TypeScript example as a user copies it: examples/rolling-deploy's index.ts with its
// own tsconfig.json, type-checked by TypeScript 5.9 and by TypeScript 6 (which rejects
// options 5.x only deprecated, such as `"moduleResolution": "node10"`, TS5107). The
// project sits outside the repository with haproxy-cluster linked as an installed package.

import { strict as assert } from "node:assert";
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { removeDir, trackDir } from "../support/registry";

const REPO_ROOT = path.resolve(__dirname, "..", "..", "..");
const EXAMPLE_DIR = path.join(REPO_ROOT, "examples", "rolling-deploy");
/** The compilers, as devDependencies: `typescript` (5.9) and `typescript-6` (npm:typescript@^6). */
const COMPILERS = [
  { pkg: "typescript", major: "5" },
  { pkg: "typescript-6", major: "6" },
];

describe("examples/rolling-deploy's TypeScript program type-checks with its own tsconfig.json on TypeScript 5.9 and 6", function () {
  this.timeout(240_000);
  let projectDir: string;

  before(async function () {
    projectDir = await fs.promises.mkdtemp(path.join(os.tmpdir(), "ts-example-"));
    trackDir(projectDir);
    for (const name of await fs.promises.readdir(EXAMPLE_DIR)) {
      if (/\.(ts|js|json)$/.test(name) && name !== "package-lock.json") await fs.promises.copyFile(path.join(EXAMPLE_DIR, name), path.join(projectDir, name));
    }
    // What `npm install` gives the user: the package (its published types, dist/ and pulumi.d.ts), the SDK and Node's types.
    const modules = path.join(projectDir, "node_modules");
    await fs.promises.mkdir(path.join(modules, "@pulumi"), { recursive: true });
    await fs.promises.mkdir(path.join(modules, "@types"), { recursive: true });
    await fs.promises.symlink(REPO_ROOT, path.join(modules, "haproxy-cluster"), "dir");
    await fs.promises.symlink(path.join(REPO_ROOT, "node_modules", "@pulumi", "pulumi"), path.join(modules, "@pulumi", "pulumi"), "dir");
    await fs.promises.symlink(path.join(REPO_ROOT, "node_modules", "@types", "node"), path.join(modules, "@types", "node"), "dir");
    assert.ok(fs.existsSync(path.join(REPO_ROOT, "dist", "provider", "pulumi", "index.d.ts")), "the package is built (npm run build)");
  });

  after(async function () {
    if (projectDir) await removeDir(projectDir);
  });

  for (const { pkg, major } of COMPILERS) {
    it(`passes tsc -p . with TypeScript ${major} (${pkg})`, async function () {
      const tsc = path.join(REPO_ROOT, "node_modules", pkg, "bin", "tsc");
      const { stdout: version } = await promisify(execFile)(process.execPath, [tsc, "--version"]);
      assert.match(version, new RegExp(`^Version ${major}\\.`), `${pkg} is TypeScript ${major}`);
      await promisify(execFile)(process.execPath, [tsc, "-p", "."], { cwd: projectDir, timeout: 200_000 }).catch((error: Error & { stdout?: string }) => {
        assert.fail(`TypeScript ${version.trim()} rejects examples/rolling-deploy (tsc -p .):\n${error.stdout || error.message}`);
      });
    });
  }
});
