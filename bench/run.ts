// Runs every benchmark, one after another (they measure wall time: never in parallel).
// Run: npm run bench

import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

const BENCHES = ["parse", "snapshot", "status-scale", "cli", "ssh", "rolling-under-load"];

let failed = false;
for (const name of BENCHES) {
  const file = path.join(__dirname, `${name}.js`);
  if (!fs.existsSync(file)) continue;
  console.log(`\n## ${name}\n`);
  const result = spawnSync(process.execPath, [file], { stdio: "inherit" });
  if (result.status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);
