// The three --eval examples of docs/cli/eval.md, run verbatim (the command lines below are
// that page's text, from scripts/docs/fragments/cli-eval.md) against two real HAProxy members named in HAPROXY_CLUSTER_MEMBERS.
import assert from "node:assert/strict";
import { startCluster, type Cluster } from "../support/haproxy";
import { resetCluster, runCli, show, startCli } from "./helpers";

export const README_EXAMPLES = {
  waitUntilSafe: `haproxy-cluster -e 'await cluster.waitUntilRollingRestartable("myapp", { thresholdPercent: 80, minChecks: 3, timeoutSeconds: 300 }); return true'`,
  pollRate: `haproxy-cluster -e 'for (;;) { print(await cluster.rate("myapp")); await sleep(1) }'`,
  disableServer3: `haproxy-cluster -e 'await cluster.eachMember((member) => member.disable("myapp", "server3"))'`,
};

/** Splits a README command line the way a POSIX shell would for these examples (words, '…' quoting). */
function shellWords(line: string): string[] {
  const words: string[] = [];
  const pattern = /'([^']*)'|(\S+)/g;
  for (let m = pattern.exec(line); m; m = pattern.exec(line)) words.push(m[1] ?? m[2]!);
  assert.equal(words.shift(), "haproxy-cluster");
  return words;
}

describe("the --eval examples of docs/cli/eval.md", function () {
  let cluster: Cluster;
  let env: Record<string, string>;
  before(async function () {
    cluster = await startCluster({ members: 2, servers: 3 });
    env = { HAPROXY_CLUSTER_MEMBERS: cluster.lbs.map((lb) => `unix:${lb.adminSocket}`).join(",") };
  });
  after(async function () {
    await cluster?.stop();
  });
  afterEach(async function () {
    await resetCluster(cluster);
  });

  it("(1) waits until myapp is rolling-restart safe, then exits 0", async function () {
    // Start unsafe (lb2 has server3 in maintenance: 2/3 < 80%) so the example must wait.
    const lb2 = cluster.lbs[1]!;
    await lb2.runtime("set server myapp/server3 state maint");
    const cli = startCli(shellWords(README_EXAMPLES.waitUntilSafe), { env });
    await lb2.waitForStatus("myapp", "server3", (s) => s === "MAINT");
    const madeSafeAt = Date.now();
    await lb2.runtime("set server myapp/server3 state ready");
    // Whatever the first poll saw, the three passing polls it needs are 2 s apart.
    const r = await cli.result;
    assert.equal(r.code, 0, show(r));
    assert.equal(r.stdout, "");
    assert.ok(r.endedAt - madeSafeAt >= 3_000, `3 passing polls 2 s apart take at least 4 s after the first; it returned after ${r.endedAt - madeSafeAt} ms`);
  });

  it("(2) prints the cluster's summed rate for myapp once a second until stopped", async function () {
    const cli = startCli(shellWords(README_EXAMPLES.pollRate), { env });
    const lines = await cli.stdoutLines(3, 15_000);
    cli.kill("SIGTERM");
    const r = await cli.result;
    for (const line of lines) assert.match(line, /^\d+$/, show(r));
    assert.equal(r.stderr, "");
  });

  it("(3) disables server3 of myapp on every member", async function () {
    const r = await runCli(shellWords(README_EXAMPLES.disableServer3), { env });
    assert.equal(r.code, 0, show(r));
    assert.equal(r.stdout, "");
    for (const lb of cluster.lbs) assert.equal((await lb.stat("myapp", "server3")).status, "MAINT", lb.name);
  });
});
