// Preloaded into a CLI run (NODE_OPTIONS=--require) to count how often it derives an
// encrypted OpenSSH key's cipher key (bcrypt_pbkdf, the costly part of decrypting it):
// one line per derivation in the file named by HC_TEST_KDF_COUNT_FILE. It wraps the
// export ssh2 takes its copy of when it loads, so every decryption counts, ours or ssh2's.
import fs from "node:fs";
import path from "node:path";

const countFile = process.env.HC_TEST_KDF_COUNT_FILE;
if (countFile) {
  const from = path.dirname(require.resolve("ssh2"));
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const bcrypt = require(require.resolve("bcrypt-pbkdf", { paths: [from] })) as { pbkdf: (...args: unknown[]) => number };
  const derive = bcrypt.pbkdf;
  bcrypt.pbkdf = (...args: unknown[]) => {
    fs.appendFileSync(countFile, "derived\n");
    return derive(...args);
  };
}

/** The environment that preloads this counter into a Node child, counting into `countFile`. */
export function kdfCountEnv(countFile: string): Record<string, string> {
  return { NODE_OPTIONS: `--require ${JSON.stringify(__filename)}`, HC_TEST_KDF_COUNT_FILE: countFile };
}

/** How many key derivations the runs counting into `countFile` made. */
export function kdfCount(countFile: string): number {
  return fs.existsSync(countFile) ? fs.readFileSync(countFile, "utf8").split("\n").filter(Boolean).length : 0;
}
