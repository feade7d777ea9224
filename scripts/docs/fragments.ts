// Hand-written parts of generated pages (examples, notes), kept as markdown files in
// scripts/docs/fragments/ so that the generator includes them and nobody edits docs/ by hand.

import * as fs from "node:fs";
import * as path from "node:path";

/** The repository's root: this file runs from dist/scripts/docs/. */
export const REPO_ROOT = path.resolve(__dirname, "..", "..", "..");

export const FRAGMENTS_DIR = path.join(REPO_ROOT, "scripts", "docs", "fragments");

/** A fragment's text, or undefined when there is none. */
export function fragment(name: string): string | undefined {
  const file = path.join(FRAGMENTS_DIR, name);
  return fs.existsSync(file) ? fs.readFileSync(file, "utf8") : undefined;
}

/** A source file of the repository, as text. */
export function source(relative: string): string {
  return fs.readFileSync(path.join(REPO_ROOT, relative), "utf8");
}
