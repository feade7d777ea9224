// `npm run schema`: writes provider/plugin/schema.json from the zod schemas (test/plugin/schema.test.ts
// fails when the committed file differs from what this writes).

import fs from "node:fs";
import path from "node:path";
import { pulumiSchema } from "./schema";

/** The committed schema, beside this file's source (this runs from dist/provider/plugin). */
export const SCHEMA_FILE = path.resolve(__dirname, "..", "..", "..", "provider", "plugin", "schema.json");

export function schemaText(): string {
  return `${JSON.stringify(pulumiSchema(), null, 2)}\n`;
}

if (require.main === module) {
  fs.writeFileSync(SCHEMA_FILE, schemaText());
  process.stdout.write(`wrote ${path.relative(process.cwd(), SCHEMA_FILE)}\n`);
}
