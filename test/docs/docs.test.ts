// The documentation cannot drift from the code: the generated pages are regenerated in
// memory and compared with the committed ones, every link and heading anchor in the
// repository's markdown must exist, and every option, Pulumi input and output and error
// code must appear on its page. Pure Node: no HAProxy, no Pulumi engine.

import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { GLOBAL_OPTIONS } from "../../provider/cli/args";
import { commandHelp } from "../../provider/cli/help";
import { HIDDEN_OPTIONS, commandSpecs } from "../../scripts/docs/cli-pages";
import { declaredCodes } from "../../scripts/docs/error-codes-source";
import { REPO_ROOT } from "../../scripts/docs/fragments";
import { GENERATED_DIRS, generatedPages } from "../../scripts/docs/generate";
import { anchorsOf, linksOf } from "../../scripts/docs/markdown";
import { pulumiFieldsByPage } from "../../scripts/docs/pulumi-pages";

const SKIP_DIRS = new Set(["node_modules", "dist", ".git"]);

function read(relative: string): string {
  return fs.readFileSync(path.join(REPO_ROOT, relative), "utf8");
}

/** Markdown files under a folder of the repository, relative paths. */
function markdownUnder(dir: string, only?: (name: string) => boolean): string[] {
  const out: string[] = [];
  const walk = (rel: string): void => {
    for (const entry of fs.readdirSync(path.join(REPO_ROOT, rel), { withFileTypes: true })) {
      const child = `${rel}/${entry.name}`;
      if (entry.isDirectory()) {
        if (!SKIP_DIRS.has(entry.name)) walk(child);
      } else if (entry.name.endsWith(".md") && (!only || only(entry.name))) out.push(child);
    }
  };
  walk(dir);
  return out;
}

/** README.md, docs/**, bench/README.md and every example's README. */
function checkedMarkdown(): string[] {
  return ["README.md", ...markdownUnder("docs"), "bench/README.md", ...markdownUnder("examples", (name) => name === "README.md")];
}

/** Broken links of one markdown file: a file or folder that does not exist, or a heading it lacks. */
function brokenLinks(file: string, text: string, anchorsCache: Map<string, Set<string>>): string[] {
  const problems: string[] = [];
  for (const { target, line } of linksOf(text)) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:
    const [pathPart, anchor] = target.split("#", 2) as [string, string | undefined];
    const resolved = pathPart === "" ? file : path.posix.normalize(path.posix.join(path.posix.dirname(file), decodeURIComponent(pathPart)));
    const absolute = path.join(REPO_ROOT, resolved);
    if (resolved !== file && (resolved.startsWith("..") || !fs.existsSync(absolute))) {
      problems.push(`${file}:${line}: ${target}: no file ${resolved}`);
      continue;
    }
    if (anchor === undefined || anchor === "") continue;
    if (!resolved.endsWith(".md")) {
      problems.push(`${file}:${line}: ${target}: a heading anchor on a file that is not markdown`);
      continue;
    }
    let anchors = anchorsCache.get(resolved);
    if (!anchors) anchorsCache.set(resolved, (anchors = anchorsOf(resolved === file ? text : read(resolved))));
    if (!anchors.has(anchor)) problems.push(`${file}:${line}: ${target}: ${resolved} has no heading #${anchor}`);
  }
  return problems;
}

describe("docs: reference pages generated from the code, and links that resolve", function () {
  const pages = generatedPages();

  it("every generated page matches what the code generates now (else: npm run docs)", function () {
    const stale: string[] = [];
    for (const [file, text] of pages) {
      const committed = fs.existsSync(path.join(REPO_ROOT, file)) ? read(file) : undefined;
      if (committed === undefined) stale.push(`${file} is missing`);
      else if (committed !== text) stale.push(`${file} differs from what the code generates`);
    }
    for (const dir of GENERATED_DIRS) {
      for (const name of fs.readdirSync(path.join(REPO_ROOT, dir))) {
        if (name.endsWith(".md") && !pages.has(`${dir}/${name}`)) stale.push(`${dir}/${name} is no longer generated (a removed command or resource?)`);
      }
    }
    assert.deepEqual(stale, [], `${stale.join("; ")}. Run npm run docs and commit the pages.`);
  });

  it("every link in README.md, docs/, bench/README.md and the examples' READMEs names a file and heading that exist", function () {
    const files = checkedMarkdown();
    assert.ok(files.length >= 10, `found the markdown files (${files.join(", ")})`);
    const cache = new Map<string, Set<string>>();
    const problems = files.flatMap((f) => brokenLinks(f, read(f), cache));
    assert.deepEqual(problems, [], `broken links:\n${problems.join("\n")}`);
  });

  it("finds a broken file link and a missing heading (the checker itself)", function () {
    const text = "# Title `x` (y)\n\n[ok](#title-x-y) [file](errors.md) [folder](cli) [gone](nope.md) [heading](errors.md#no-such-heading) [self](#nope)\n\n```\n[in code](ignored.md)\n```\n";
    const problems = brokenLinks("docs/scratch.md", text, new Map());
    assert.equal(problems.length, 3, problems.join("\n"));
    assert.match(problems[0]!, /^docs\/scratch\.md:3: nope\.md: no file docs\/nope\.md$/);
    assert.match(problems[1]!, /docs\/errors\.md has no heading #no-such-heading/);
    assert.match(problems[2]!, /docs\/scratch\.md has no heading #nope/);
  });

  it("every option a command's --help prints, and every option it parses, is on that command's page", function () {
    const missing: string[] = [];
    for (const spec of commandSpecs()) {
      const file = `docs/cli/${spec.name}.md`;
      const page = pages.get(file) ?? "";
      const help = commandHelp(spec);
      const printed = new Set([...help.matchAll(/(?<![\w-])--[a-z][a-z0-9-]*/g)].map((m) => m[0]));
      const parsed = Object.keys(spec.options).map((o) => `--${o}`);
      for (const option of parsed) if (!printed.has(option)) missing.push(`${spec.name} parses ${option} but its --help does not print it (provider/cli/commands/)`);
      for (const option of new Set([...printed, ...parsed])) if (!page.includes(option)) missing.push(`${file} lacks ${option}`);
    }
    const index = pages.get("docs/cli/README.md") ?? "";
    for (const option of Object.keys(GLOBAL_OPTIONS)) if (!HIDDEN_OPTIONS.has(option) && !index.includes(`--${option}`)) missing.push(`docs/cli/README.md lacks --${option}`);
    assert.deepEqual(missing, []);
  });

  it("every Pulumi input (Args interface and zod schema) and output is on its resource's page, with a description", function () {
    const missing: string[] = [];
    for (const [file, fields] of pulumiFieldsByPage()) {
      const page = pages.get(file) ?? "";
      for (const name of new Set([...fields.inputs, ...fields.schemaKeys])) if (!page.includes(`| \`${name}\` |`)) missing.push(`${file} lacks input ${name}`);
      for (const name of fields.outputs) if (!page.includes(`| \`${name}\` |`)) missing.push(`${file} lacks output ${name}`);
      for (const row of page.split("\n").filter((l) => /^\| `\w+` \|/.test(l) && / — \|$/.test(l))) missing.push(`${file}: no TSDoc for ${row.split("|")[1]!.trim()}`);
    }
    assert.ok(pulumiFieldsByPage().size >= 4, "ServerDrain, ClusterReadinessGate, RollingDeploy, getClusterHealth");
    assert.deepEqual(missing, []);
  });

  it("every HC_* code, in provider/errors.ts and wherever the code raises one, has its section in docs/errors.md", function () {
    const errorsPage = pages.get("docs/errors.md") ?? "";
    const used = new Set<string>(declaredCodes().map((c) => c.code));
    for (const file of fs.readdirSync(path.join(REPO_ROOT, "provider"), { recursive: true, encoding: "utf8" })) {
      if (!file.endsWith(".ts")) continue;
      for (const m of read(`provider/${file}`).matchAll(/["'`](HC_[A-Z_]+)["'`]/g)) used.add(m[1]!);
    }
    assert.ok(used.size >= 15, `found the codes (${[...used].join(", ")})`);
    const missing = [...used].filter((code) => !errorsPage.includes(`## ${code}\n`));
    assert.deepEqual(missing, [], "codes without a section in docs/errors.md");
  });
});
