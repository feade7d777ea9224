// Run by scripts/test.sh before its cells start side by side: installs each example
// Pulumi project that has a lock file (npm ci, as the end-to-end tests would on first
// use) and refreshes its copy of this checkout, so that no cell installs or rewrites an
// example while another cell loads it. Usage: node dist/test/support/prepare-examples.js
import fs from "node:fs";
import path from "node:path";
import { installProject, REPO_ROOT } from "./pulumi-stack";

const examples = path.join(REPO_ROOT, "examples");
const projects = fs
  .readdirSync(examples)
  .map((name) => path.join(examples, name))
  .filter((dir) => fs.existsSync(path.join(dir, "package-lock.json")));

Promise.all(projects.map((dir) => installProject(dir))).then(
  () => console.log(`example projects ready: ${projects.map((dir) => path.basename(dir)).join(", ")}`),
  (error: unknown) => {
    console.error(`could not prepare the example projects: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
