// `pulumi preview` of every example, for real, against two HAProxy members and three
// running apps: it plans the changes and touches nothing (no server changes state or
// weight on any member, no app restarts).
import { strict as assert } from "node:assert";
import path from "node:path";
import { createStack, type TestStack } from "../support/pulumi-stack";
import {
  EXAMPLES_DIR,
  FAST_GATE,
  REPO_ROOT,
  SETUP_TIMEOUT_MS,
  STATS_USER,
  appSpecs,
  fingerprint,
  newPassword,
  prepareProjects,
  startApps,
  startPair,
  waitAllUp,
  type AppFleet,
  type AppSpec,
  type Pair,
} from "./helpers";

describe("e2e: pulumi preview of each example changes nothing on any HAProxy member", function () {
  this.timeout(300_000);
  const password = newPassword();
  let apps: AppSpec[];
  let fleet: AppFleet;
  let pair: Pair;
  const stacks: TestStack[] = [];

  before(async function () {
    this.timeout(SETUP_TIMEOUT_MS);
    await prepareProjects(...["rolling-deploy", "maintenance-window", "cluster-health"].map((e) => path.join(EXAMPLES_DIR, e)));
    apps = await appSpecs();
    fleet = await startApps(apps, "v0", "previews");
    pair = await startPair(apps, password);
    await waitAllUp(pair, apps);
  });

  after(async function () {
    const results = await Promise.allSettled(stacks.map((s) => s.cleanup()));
    await pair?.stop();
    await fleet?.stop();
    const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed) throw failed.reason;
  });

  const rollingConfig = () => ({ members: pair.members, statsUser: STATS_USER, servers: apps, version: "v1", stateDir: fleet.stateDir, gate: FAST_GATE });

  const cases: Array<{ label: string; projectDir: string; config: () => Record<string, unknown>; creates: Record<string, number> }> = [
    // The stack, the RollingDeploy component, 4 gates, 3 drains, 3 deployments.
    { label: "rolling-deploy", projectDir: path.join(EXAMPLES_DIR, "rolling-deploy"), config: rollingConfig, creates: { ServerDrain: 3, ClusterReadinessGate: 4, AppServerDeployment: 3, RollingDeploy: 1 } },
    { label: "maintenance-window", projectDir: path.join(EXAMPLES_DIR, "maintenance-window"), config: () => ({ members: pair.members, statsUser: STATS_USER, server: "server2" }), creates: { ServerDrain: 1 } },
    { label: "cluster-health", projectDir: path.join(EXAMPLES_DIR, "cluster-health"), config: () => ({ members: pair.members, statsUser: STATS_USER }), creates: {} },
    { label: "demo", projectDir: REPO_ROOT, config: rollingConfig, creates: { ServerDrain: 3, ClusterReadinessGate: 4, AppServerDeployment: 3, RollingDeploy: 1 } },
  ];

  for (const c of cases) {
    it(`${c.label}: plans its resources, and no server on any member changes status, weight or admin state, and no app restarts`, async function () {
      const stack = await createStack({ projectDir: c.projectDir, label: `preview-${c.label}`, config: c.config(), secrets: { statsPassword: password } });
      stacks.push(stack);
      const before = await fingerprint(pair);
      const pidsBefore = fleet.pids();
      const preview = await stack.preview();
      assert.deepEqual(await fingerprint(pair), before, "show stat and show servers state are unchanged");
      assert.deepEqual(fleet.pids(), pidsBefore, "no app was restarted");

      // The preview really ran the program: it planned a create for each resource, and nothing else.
      const planned: Record<string, number> = {};
      for (const event of preview.record.events) {
        const meta = event.resourcePreEvent?.metadata;
        // The stack itself and the default dynamic provider are not the program's resources.
        if (!meta || meta.type === "pulumi:pulumi:Stack" || meta.type.startsWith("pulumi:providers:")) continue;
        assert.equal(meta.op, "create", `${meta.urn} is planned as a create`);
        const kind = meta.type.split(":").pop()!;
        planned[kind] = (planned[kind] ?? 0) + 1;
      }
      assert.deepEqual(planned, c.creates);
      assert.deepEqual(Object.keys(preview.changeSummary), ["create"], JSON.stringify(preview.changeSummary));
      if (c.label === "cluster-health") {
        // getClusterHealth reads during preview: the stack's outputs are known, with real numbers.
        assert.match(preview.stdout, /healthy\s*:\s*true/, preview.stdout);
        assert.match(preview.stdout, /membersRead\s*:\s*2/, preview.stdout);
      }
    });
  }
});
