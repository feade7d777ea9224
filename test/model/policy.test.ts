// One home for every default (provider/policy.ts): the CLI's help, the library and the
// Pulumi inputs all print and apply the same numbers. Needs no HAProxy: it reads the
// command specs, calls the option checks and parses the zod schemas.
import { strict as assert } from "node:assert";
import { GLOBAL_HELP, type CommandSpec } from "../../provider/cli/args";
import { specs as actionSpecs } from "../../provider/cli/commands/actions";
import { spec as checkSpec } from "../../provider/cli/commands/check";
import { spec as waitSpec } from "../../provider/cli/commands/wait";
import { checkNumericOptions } from "../../provider/cluster/options";
import { checkMemberOptions } from "../../provider/member/options";
import { DEFAULTS, LIMITS } from "../../provider/policy";
import { analysisSchema, connectionSchema, readinessGateSchema, serverDrainSchema } from "../../provider/pulumi/impl/inputs";

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
  });

  it("every way in refuses a request deadline above the same maximum", function () {
    const tooLong = LIMITS.maxRequestTimeoutSeconds + 1;
    assert.ok("problems" in checkMemberOptions({ requestTimeoutSeconds: tooLong }));
    assert.equal(connectionSchema.safeParse({ ...members, requestTimeoutSeconds: tooLong }).success, false);
  });
});
