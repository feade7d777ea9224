// `eval CODE` / `-e CODE`: how the result becomes the exit code and the output. Saved
// CSV files stand in for members; the README examples run against HAProxy elsewhere.
import assert from "node:assert/strict";
import { fixturePath } from "../stats/fixtures";
import { runCli, show } from "./helpers";

const CSV = `file:${fixturePath("haproxy-2.6/lb1-show-stat.csv")}`;

describe("eval", function () {
  const cases: Array<{ code: string; exit: number; stdout: string }> = [
    { code: "true", exit: 0, stdout: "" },
    { code: "false", exit: 2, stdout: "" },
    { code: "undefined", exit: 0, stdout: "" },
    { code: '"plain text"', exit: 0, stdout: "plain text\n" },
    { code: "6 * 7;", exit: 0, stdout: "42\n" },
    { code: 'new Map([["lb1", 3], ["lb2", 2]])', exit: 0, stdout: '{\n  "lb1": 3,\n  "lb2": 2\n}\n' },
    { code: "const n = 2; await sleep(0.05); return n + 1", exit: 0, stdout: "3\n" },
    { code: "const n = 2", exit: 0, stdout: "" },
    { code: 'print("a", 1, { b: [2] }); return true', exit: 0, stdout: 'a 1 {\n  "b": [\n    2\n  ]\n}\n' },
  ];
  for (const c of cases) {
    it(`turns ${JSON.stringify(c.code)} into exit ${c.exit}${c.stdout ? ` printing ${JSON.stringify(c.stdout)}` : " printing nothing"}`, async function () {
      const r = await runCli(["-e", c.code]);
      assert.equal(r.code, c.exit, show(r));
      assert.equal(r.stdout, c.stdout);
      assert.equal(r.stderr, "");
    });
  }

  it("prints a thrown error's message on stderr and exits 3", async function () {
    const r = await runCli(["-e", 'throw new Error("boom")']);
    assert.equal(r.code, 3, show(r));
    assert.equal(r.stderr, "Error: boom\n");
  });

  it("prints a library error's own sentence, naming the member", async function () {
    const r = await runCli(["eval", 'return (await cluster.snapshot()).snapshots.get(cluster.memberNames[0]).backend("nosuch")', CSV]);
    assert.equal(r.code, 3, show(r));
    assert.match(r.stderr, /^file:.*lb1-show-stat\.csv: no backend nosuch; check the name\. Its backends are: .*myapp/);
  });

  it("has `cluster` and every library export in scope, with the members from the command line", async function () {
    const r = await runCli(["eval", "({ members: cluster.memberNames, cluster: cluster instanceof Cluster, safe: await cluster.rollingRestartable('myapp'), threshold: DEFAULT_THRESHOLD_PERCENT })", CSV]);
    assert.equal(r.code, 0, show(r));
    assert.deepEqual(JSON.parse(r.stdout), { members: [CSV], cluster: true, safe: true, threshold: 80 });
  });

  it("says so when the code uses `cluster` without members", async function () {
    const r = await runCli(["-e", "cluster.memberNames"]);
    assert.equal(r.code, 3, show(r));
    assert.match(r.stderr, /^the code uses `cluster` but no member was given/);
  });

  it("rejects code that does not parse with exit 3", async function () {
    const r = await runCli(["-e", "return )"]);
    assert.equal(r.code, 3, show(r));
    assert.match(r.stderr, /^the code does not parse: /);
  });

  it("refuses a command together with --eval", async function () {
    const r = await runCli(["status", "-e", "true", CSV]);
    assert.equal(r.code, 3, show(r));
    assert.equal(r.stderr, "give either a command (status) or --eval CODE, not both.\n");
  });
});
