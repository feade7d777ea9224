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

  it("type-checks the hand-written example on every Pulumi resource's page (docs/pulumi) with TypeScript 5.9", async function () {
    const examples: string[] = [];
    for (const page of (await fs.promises.readdir(path.join(REPO_ROOT, "docs", "pulumi"))).filter((f) => f.endsWith(".md"))) {
      const text = await fs.promises.readFile(path.join(REPO_ROOT, "docs", "pulumi", page), "utf8");
      // Programs, not the signature blocks (`new ServerDrain(name: string, …)`).
      const blocks = [...text.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!).filter((b) => b.includes("haproxy-cluster/pulumi") && !/\((name|args): /.test(b));
      for (const [i, block] of blocks.entries()) {
        const file = `doc-${page.replace(/\.md$/, "")}-${i}.ts`;
        await fs.promises.writeFile(path.join(projectDir, file), block);
        examples.push(file);
      }
    }
    assert.ok(examples.length >= 4, `an example per resource page (${examples.join(", ")})`);
    // The RollingDeploy example deploys with a resource of the user's own.
    await fs.promises.writeFile(
      path.join(projectDir, "app-server.ts"),
      `import * as pulumi from "@pulumi/pulumi";\nexport class AppServer extends pulumi.ComponentResource {\n  constructor(name: string, args: { host: string; version: string }, opts?: pulumi.ComponentResourceOptions) {\n    super("example:AppServer", name, args, opts);\n  }\n}\n`,
    );
    await fs.promises.writeFile(path.join(projectDir, "tsconfig.docs.json"), JSON.stringify({ extends: "./tsconfig.json", files: examples }));
    const tsc = path.join(REPO_ROOT, "node_modules", "typescript", "bin", "tsc");
    await promisify(execFile)(process.execPath, [tsc, "-p", "tsconfig.docs.json"], { cwd: projectDir, timeout: 200_000 }).catch((error: Error & { stdout?: string }) => {
      assert.fail(`an example in docs/pulumi does not type-check (edit scripts/docs/fragments/pulumi-*.md, then npm run docs):\n${error.stdout || error.message}`);
    });
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
