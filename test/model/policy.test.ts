// One home for every default (provider/policy.ts): the CLI's help, the library, the
// Pulumi inputs, the README and the Pulumi reference pages all print and apply the same
// numbers. Needs no HAProxy: it reads the command specs and the markdown, calls the option
// checks and parses the zod schemas.
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { GLOBAL_HELP, type CommandSpec } from "../../provider/cli/args";
import { specs as actionSpecs } from "../../provider/cli/commands/actions";
import { spec as checkSpec } from "../../provider/cli/commands/check";
import { spec as waitSpec } from "../../provider/cli/commands/wait";
import { checkNumericOptions } from "../../provider/input-rules";
import { checkMemberOptions } from "../../provider/member/options";
import { DEFAULTS, LIMITS } from "../../provider/policy";
import { analysisSchema, connectionSchema, readinessGateSchema, rollingRestartSchema, serverDrainSchema } from "../../provider/pulumi/impl/inputs";
import { REPO_ROOT } from "../../scripts/docs/fragments";
import { runCli, show } from "../cli/helpers";

/** The "(default N)" an option's help line gives, N as printed. */
function helpDefault(usage: string, option: string): string {
  // The line that starts with the option (not a mention of it in another's text).
  const at = `\n${usage}`.indexOf(`\n  ${option} `);
  assert.ok(at >= 0, `the help names ${option}`);
  // An option's text runs until the next line that starts an option.
  const rest = usage.slice(at + 2);
  const next = rest.slice(1).search(/\n {2}-/);
  const text = next < 0 ? rest : rest.slice(0, next + 1);
  const match = /\(default ([0-9.]+)\)/.exec(text);
  assert.ok(match, `the help of ${option} gives its default: ${text}`);
  return match[1];
}

const drain = (actionSpecs as CommandSpec[]).find((s) => s.name === "drain")!;
const members = { members: ["unix:/run/haproxy.sock"] };

function readRepo(relative: string): string {
  return fs.readFileSync(path.join(REPO_ROOT, relative), "utf8");
}

/** The numbers one pattern captures in a text, as numbers; fails naming the pattern when it is not found. */
function numbersIn(text: string, pattern: RegExp, where: string): number[] {
  const m = pattern.exec(text);
  assert.ok(m, `${where} no longer matches ${pattern}: update this test with the text`);
  return m.slice(1).map(Number);
}

/** A generated Pulumi page's default column for an input (the first table naming it: the resource's own inputs). */
function pageDefault(page: string, input: string): string {
  const row = page.split("\n").find((l) => l.startsWith(`| \`${input}\` |`));
  assert.ok(row, `the page lists ${input}`);
  return row.split("|")[4]!.trim().replace(/`/g, "");
}

describe("one home for every default", function () {
  it("the CLI's help prints the policy's numbers", function () {
    assert.equal(helpDefault(waitSpec.usage, "--threshold"), String(DEFAULTS.thresholdPercent));
    assert.equal(helpDefault(waitSpec.usage, "--min-checks"), String(DEFAULTS.minChecks));
    assert.equal(helpDefault(waitSpec.usage, "--interval"), String(DEFAULTS.intervalSeconds));
    assert.equal(helpDefault(waitSpec.usage, "--timeout"), String(DEFAULTS.waitTimeoutSeconds));
    assert.equal(helpDefault(checkSpec.usage, "--warning"), String(DEFAULTS.thresholdPercent));
    assert.equal(helpDefault(checkSpec.usage, "--critical"), String(DEFAULTS.criticalPercent));
    assert.equal(helpDefault(drain.usage, "--timeout"), String(DEFAULTS.actionTimeoutSeconds));
    assert.equal(helpDefault(drain.usage, "--sessions-timeout"), String(DEFAULTS.sessionsTimeoutSeconds));
    assert.equal(helpDefault(drain.usage, "--ready-timeout"), String(DEFAULTS.actionTimeoutSeconds));
    assert.equal(helpDefault(drain.usage, "--min-other-serving"), String(DEFAULTS.minOtherServing));
    assert.equal(helpDefault(GLOBAL_HELP, "--request-timeout"), String(DEFAULTS.requestTimeoutSeconds));
    // The smallest interval is printed where an interval is taken.
    assert.match(waitSpec.usage, new RegExp(`--interval SECONDS[^\n]*at least ${LIMITS.minIntervalSeconds}`));
  });

  it("the README's examples and contract spell the policy's numbers", function () {
    const readme = readRepo("README.md");
    assert.deepEqual(
      numbersIn(readme, /haproxy-cluster wait +--backend \S+ --threshold (\d+) --min-checks (\d+) --timeout (\d+)/, "README's shell quick start"),
      [DEFAULTS.thresholdPercent, DEFAULTS.minChecks, DEFAULTS.waitTimeoutSeconds],
    );
    assert.deepEqual(numbersIn(readme, /--sessions-timeout (\d+)/, "README's shell quick start"), [DEFAULTS.sessionsTimeoutSeconds]);
    assert.deepEqual(numbersIn(readme, /--ready-timeout (\d+)/, "README's shell quick start"), [DEFAULTS.actionTimeoutSeconds]);
    assert.deepEqual(
      numbersIn(readme, /waitUntilRollingRestartable\("\w+", \{ thresholdPercent: (\d+), minChecks: (\d+), timeoutSeconds: (\d+) \}\)/, "README's library quick start"),
      [DEFAULTS.thresholdPercent, DEFAULTS.minChecks, DEFAULTS.waitTimeoutSeconds],
    );
    assert.deepEqual(numbersIn(readme, /at least the threshold \(default\s+(\d+)%\)/, "README's safety contract"), [DEFAULTS.thresholdPercent]);
    const words = ["no", "one", "two", "three"];
    assert.match(readme, new RegExp(`at least\\s+${words[DEFAULTS.minOtherServing]}\\s+other server \\(\`--min-other-serving\`\\)`), "README's guard names the default minOtherServing");
  });

  it("the library guide gives the waits' defaults and the smallest interval as the policy has them", function () {
    const guide = readRepo("docs/library.md");
    assert.deepEqual(numbersIn(guide, /`minChecks` \(default (\d+)/, "docs/library.md's waits"), [DEFAULTS.minChecks]);
    assert.deepEqual(numbersIn(guide, /`intervalSeconds` \(([\d.]+), at least ([\d.]+)\)/, "docs/library.md's waits"), [DEFAULTS.intervalSeconds, LIMITS.minIntervalSeconds]);
    assert.deepEqual(numbersIn(guide, /`timeoutSeconds` \((\d+), above 0/, "docs/library.md's waits"), [DEFAULTS.waitTimeoutSeconds]);
    assert.deepEqual(
      numbersIn(guide, /waitUntilRollingRestartable\("\w+", \{ thresholdPercent: (\d+), minChecks: (\d+), intervalSeconds: (\d+), timeoutSeconds: (\d+)/, "docs/library.md's example"),
      [DEFAULTS.thresholdPercent, DEFAULTS.minChecks, DEFAULTS.intervalSeconds, DEFAULTS.waitTimeoutSeconds],
    );
  });

  it("the Pulumi reference pages print the policy's defaults", function () {
    const expected: Record<string, Record<string, number>> = {
      "server-drain.md": {
        drainTimeoutSeconds: DEFAULTS.actionTimeoutSeconds,
        sessionsTimeoutSeconds: DEFAULTS.sessionsTimeoutSeconds,
        restoreTimeoutSeconds: DEFAULTS.actionTimeoutSeconds,
        minOtherServing: DEFAULTS.minOtherServing,
        requestTimeoutSeconds: DEFAULTS.requestTimeoutSeconds,
      },
      "cluster-readiness-gate.md": {
        thresholdPercent: DEFAULTS.thresholdPercent,
        minChecks: DEFAULTS.minChecks,
        intervalSeconds: DEFAULTS.intervalSeconds,
        timeoutSeconds: DEFAULTS.waitTimeoutSeconds,
      },
      "rolling-restart.md": {
        thresholdPercent: DEFAULTS.thresholdPercent,
        minChecks: DEFAULTS.minChecks,
        intervalSeconds: DEFAULTS.intervalSeconds,
        gateTimeoutSeconds: DEFAULTS.waitTimeoutSeconds,
        drainTimeoutSeconds: DEFAULTS.actionTimeoutSeconds,
        sessionsTimeoutSeconds: DEFAULTS.sessionsTimeoutSeconds,
        restoreTimeoutSeconds: DEFAULTS.actionTimeoutSeconds,
        minOtherServing: DEFAULTS.minOtherServing,
      },
      "get-cluster-health.md": { requestTimeoutSeconds: DEFAULTS.requestTimeoutSeconds },
    };
    for (const [file, inputs] of Object.entries(expected)) {
      const page = readRepo(`docs/pulumi/${file}`);
      for (const [input, value] of Object.entries(inputs)) assert.equal(pageDefault(page, input), String(value), `docs/pulumi/${file}: ${input}`);
    }
    // Where an interval is an input, its page says the smallest one taken.
    for (const file of ["cluster-readiness-gate.md", "rolling-restart.md"]) {
      const row = readRepo(`docs/pulumi/${file}`).split("\n").find((l) => l.startsWith("| `intervalSeconds` |"))!;
      assert.match(row, new RegExp(`at least ${LIMITS.minIntervalSeconds}`), `docs/pulumi/${file}: intervalSeconds names its minimum`);
    }
  });

  it("the Pulumi inputs default to the policy's numbers, as the CLI does", function () {
    const gate = readinessGateSchema.parse({ ...members, backend: "app" });
    assert.equal(gate.thresholdPercent, DEFAULTS.thresholdPercent);
    assert.equal(gate.minChecks, DEFAULTS.minChecks);
    assert.equal(gate.intervalSeconds, DEFAULTS.intervalSeconds);
    assert.equal(gate.timeoutSeconds, DEFAULTS.waitTimeoutSeconds);
    const drained = serverDrainSchema.parse({ ...members, backend: "app", server: "s1" });
    // ServerDrain waited a fixed 30 s for its drain while the CLI and library wait 120 s.
    assert.equal(drained.drainTimeoutSeconds, DEFAULTS.actionTimeoutSeconds);
    assert.equal(drained.sessionsTimeoutSeconds, DEFAULTS.sessionsTimeoutSeconds);
    assert.equal(drained.restoreTimeoutSeconds, DEFAULTS.actionTimeoutSeconds);
    assert.equal(drained.minOtherServing, DEFAULTS.minOtherServing);
    assert.equal(connectionSchema.parse(members).requestTimeoutSeconds, DEFAULTS.requestTimeoutSeconds);
    const restart = rollingRestartSchema.parse({ ...members, backend: "app", command: ["true"] });
    assert.equal(restart.thresholdPercent, DEFAULTS.thresholdPercent);
    assert.equal(restart.minChecks, DEFAULTS.minChecks);
    assert.equal(restart.intervalSeconds, DEFAULTS.intervalSeconds);
    assert.equal(restart.gateTimeoutSeconds, DEFAULTS.waitTimeoutSeconds);
    assert.equal(restart.drainTimeoutSeconds, DEFAULTS.actionTimeoutSeconds);
    assert.equal(restart.sessionsTimeoutSeconds, DEFAULTS.sessionsTimeoutSeconds);
    assert.equal(restart.restoreTimeoutSeconds, DEFAULTS.actionTimeoutSeconds);
    assert.equal(restart.minOtherServing, DEFAULTS.minOtherServing);
  });

  it("the library applies the policy's request deadline", function () {
    const checked = checkMemberOptions({});
    assert.ok("options" in checked);
    assert.equal(checked.options.requestTimeoutSeconds, DEFAULTS.requestTimeoutSeconds);
  });

  it("every way in refuses an interval below the same minimum", function () {
    const tooFast = LIMITS.minIntervalSeconds / 2;
    assert.throws(() => checkNumericOptions("waitUntil", { intervalSeconds: tooFast }, ["intervalSeconds"]), /intervalSeconds must be a number of seconds of at least 0\.05/);
    assert.equal(readinessGateSchema.safeParse({ ...members, backend: "app", intervalSeconds: tooFast }).success, false);
    assert.equal(analysisSchema.safeParse({ intervalSeconds: tooFast }).success, false);
    assert.equal(readinessGateSchema.safeParse({ ...members, backend: "app", intervalSeconds: LIMITS.minIntervalSeconds }).success, true);
    assert.equal(rollingRestartSchema.safeParse({ ...members, backend: "app", command: ["true"], intervalSeconds: tooFast }).success, false);
  });

  it("wait --interval below the minimum is refused as a usage error naming --interval, before any member is read", async function () {
    this.timeout(20_000);
    const r = await runCli(["wait", "--backend", "app", "--interval", String(LIMITS.minIntervalSeconds / 2), "unix:/nonexistent/haproxy.sock"]);
    assert.equal(r.code, 3, show(r));
    assert.match(r.stderr, new RegExp(`--interval must be a number of at least ${LIMITS.minIntervalSeconds}`), show(r));
  });

  it("every way in refuses a request deadline above the same maximum", function () {
    const tooLong = LIMITS.maxRequestTimeoutSeconds + 1;
    assert.ok("problems" in checkMemberOptions({ requestTimeoutSeconds: tooLong }));
    assert.equal(connectionSchema.safeParse({ ...members, requestTimeoutSeconds: tooLong }).success, false);
  });
});
