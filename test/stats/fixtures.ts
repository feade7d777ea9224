// Finds the shared fixtures (real HAProxy output) from compiled tests and benches, and
// reads columns-by-version.txt. HC_SHARED_DIR overrides the location of shared/.

import fs from "node:fs";
import path from "node:path";

/** shared/ beside the repository: from dist/test/stats or dist/bench/fixtures that is four levels up. */
export function sharedDir(): string {
  return process.env.HC_SHARED_DIR ?? path.resolve(__dirname, "../../../../shared");
}

export function fixturePath(relative: string): string {
  return path.join(sharedDir(), "fixtures", relative);
}

export function readFixture(relative: string): string {
  return fs.readFileSync(fixturePath(relative), "utf8");
}

/** Every statistics CSV fixture, as paths relative to shared/fixtures. */
export function statsCsvFixtures(): string[] {
  const csvDir = fixturePath("stats-csv");
  const old = fs
    .readdirSync(csvDir)
    .filter((name) => name.endsWith(".csv"))
    .sort()
    .map((name) => `stats-csv/${name}`);
  return [...old, "haproxy-2.6/lb1-http-stats.csv", "haproxy-2.6/lb1-show-stat.csv"];
}

export interface Release {
  /** Tag as written in the file: v1.4.0, v2.8.0, HEAD. */
  tag: string;
  /** Column count the file states. */
  count: number;
  /** The comma list exactly as HAProxy wrote its header (1.4.0 keeps its spaces), trailing comma included. */
  rawList: string;
  /** Column names, trimmed, without the trailing empty one. */
  names: string[];
}

/** Every release line of columns-by-version.txt (`<tag> <count> <comma-separated names>`). */
export function releases(): Release[] {
  return readFixture("stats-csv/columns-by-version.txt")
    .split("\n")
    .filter((line) => line.trim() !== "" && !line.startsWith("#"))
    .map((line) => {
      const match = /^(\S+) (\d+) (.*)$/.exec(line);
      if (!match) throw new Error(`columns-by-version.txt: cannot read line ${JSON.stringify(line)}`);
      const names = match[3].split(",").map((name) => name.trim());
      if (names[names.length - 1] === "") names.pop();
      return { tag: match[1], count: Number(match[2]), rawList: match[3], names };
    });
}
