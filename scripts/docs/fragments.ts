// Hand-written parts of generated pages (examples, notes), kept as markdown files in
// scripts/docs/fragments/ so that the generator includes them and nobody edits docs/ by hand.

import * as fs from "node:fs";
import * as path from "node:path";
import { DEFAULTS } from "../../provider/policy";

/** The repository's root: this file runs from dist/scripts/docs/. */
export const REPO_ROOT = path.resolve(__dirname, "..", "..", "..");

export const FRAGMENTS_DIR = path.join(REPO_ROOT, "scripts", "docs", "fragments");

/**
 * A fragment's text, or undefined when there is none. `{{DEFAULTS.name}}` in it is the
 * policy's number (provider/policy.ts), so that prose never prints a default of its own.
 */
export function fragment(name: string): string | undefined {
  const file = path.join(FRAGMENTS_DIR, name);
  if (!fs.existsSync(file)) return undefined;
  return fs.readFileSync(file, "utf8").replace(/\{\{DEFAULTS\.(\w+)\}\}/g, (_, key: string) => {
    if (!(key in DEFAULTS)) throw new Error(`${name}: {{DEFAULTS.${key}}} names no default of provider/policy.ts`);
    return String(DEFAULTS[key as keyof typeof DEFAULTS]);
  });
}

/** A source file of the repository, as text. */
export function source(relative: string): string {
  return fs.readFileSync(path.join(REPO_ROOT, relative), "utf8");
}
