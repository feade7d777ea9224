// `npm run docs`: writes the generated reference pages (docs/cli/, docs/pulumi/,
// docs/errors.md) from the code. Needs neither HAProxy nor Pulumi: it reads the command
// specs, the TypeScript of the resources, the zod schemas and the error codes.
// test/docs/generated.test.ts regenerates in memory and fails on any difference.

import * as fs from "node:fs";
import * as path from "node:path";
import { cliPages } from "./cli-pages";
import { errorsPage } from "./errors-page";
import { REPO_ROOT } from "./fragments";
import { pulumiPages } from "./pulumi-pages";

/** Every generated page: path relative to the repository → content. */
export function generatedPages(): Map<string, string> {
  return new Map([...cliPages(), ...pulumiPages(), ["docs/errors.md", errorsPage()]]);
}

/** Generated folders: a page there that the generator no longer makes (a removed command) is stale. */
export const GENERATED_DIRS = ["docs/cli", "docs/pulumi"] as const;

function main(): void {
  const pages = generatedPages();
  for (const [file, text] of pages) {
    const target = path.join(REPO_ROOT, file);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    const old = fs.existsSync(target) ? fs.readFileSync(target, "utf8") : undefined;
    if (old !== text) {
      fs.writeFileSync(target, text);
      process.stdout.write(`wrote ${file}\n`);
    }
  }
  for (const dir of GENERATED_DIRS) {
    for (const name of fs.readdirSync(path.join(REPO_ROOT, dir))) {
      const file = `${dir}/${name}`;
      if (name.endsWith(".md") && !pages.has(file)) {
        fs.rmSync(path.join(REPO_ROOT, file));
        process.stdout.write(`removed ${file} (no longer generated)\n`);
      }
    }
  }
  process.stdout.write(`${pages.size} generated pages up to date.\n`);
}

if (require.main === module) main();
