// A Pulumi YAML program (`runtime: yaml`, the YAML language host from scripts/pulumi-cli.sh)
// using the provider plugin as a user installs it (`pulumi plugin install resource
// haproxy-cluster <version> --file <tarball>`), with real `pulumi preview`, `up`, `refresh`
// and `destroy` against two HAProxy members whose stats pages need a password: a
// ServerDrain window on server2 and a ClusterReadinessGate after it, getClusterHealth read
// during preview, drift shown by refresh and repaired by up, and the window closed by
// removing the resource from the program.
import { strict as assert } from "node:assert";
import fs from "node:fs";
import path from "node:path";
import { createStack, OperationFailed, type TestStack } from "../support/pulumi-stack";
import {
  BACKEND,
  SETUP_TIMEOUT_MS,
  STATS_USER,
  appSpecs,
  fingerprint,
  newPassword,
  operationsByResource,
  prepareProjects,
  runtimeAction,
  startApps,
  startPair,
  statuses,
  waitAllUp,
  type AppFleet,
  type AppSpec,
  type Pair,
} from "../e2e/helpers";
import { PLUGIN_VERSION, pluginTarball, pulumiCli, removeTemp, RUN_ON, tempDir } from "./helpers";

/** The program a user writes (the README shows it), with this rig's members; `window: false` leaves the ServerDrain out. */
export function yamlProgram(members: string[], { window }: { window: boolean }): string {
  const connection = ["      members:", ...members.map((m) => `        - ${m}`), "      username: ${statsUser}", "      password: ${statsPassword}"].join("\n");
  return `name: haproxy-yaml
runtime: yaml
description: A maintenance window on server2, then a readiness gate, from Pulumi YAML.
config:
  statsUser:
    type: string
  statsPassword:
    type: string
variables:
  health:
    fn::invoke:
      function: haproxy-cluster:index:getClusterHealth
      arguments:
${connection.replace(/^ {6}/gm, "        ")}
        backends: [${BACKEND}]
resources:
${
  window
    ? `  window:
    type: haproxy-cluster:index:ServerDrain
    properties:
${connection}
      backend: ${BACKEND}
      server: server2
`
    : ""
}  gate:
    type: haproxy-cluster:index:ClusterReadinessGate
    properties:
${connection}
      backend: ${BACKEND}
      thresholdPercent: 60
      minChecks: 2
      intervalSeconds: 0.5
      timeoutSeconds: 60
${window ? "    options:\n      dependsOn:\n        - ${window}\n" : ""}outputs:
  healthy: \${health.healthy}
  gatePolls: \${gate.polls}
${window ? "  drainedOn: ${window.drainedOn}\n" : ""}`;
}

describe(`plugin e2e: a Pulumi YAML program with the installed plugin tarball, pulumi preview, up, refresh and destroy against two real HAProxy members (${RUN_ON})`, function () {
  this.timeout(600_000);
  const password = newPassword();
  let apps: AppSpec[];
  let fleet: AppFleet;
  let pair: Pair;
  let projectDir: string;
  let stack: TestStack;

  before(async function () {
    this.timeout(SETUP_TIMEOUT_MS);
    await prepareProjects();
    projectDir = await tempDir("yaml");
    apps = await appSpecs();
    fleet = await startApps(apps, "v1", "plugin-yaml");
    pair = await startPair(apps, password);
    await waitAllUp(pair, apps);
    await fs.promises.writeFile(path.join(projectDir, "Pulumi.yaml"), yamlProgram(pair.members, { window: true }));
    stack = await createStack({ projectDir, label: "plugin-yaml", config: { statsUser: STATS_USER }, secrets: { statsPassword: password } });
    const installed = await pulumiCli(stack, ["plugin", "install", "resource", "haproxy-cluster", PLUGIN_VERSION, "--file", await pluginTarball()]);
    assert.match(installed, /installing|installed/i, installed);
    const listed = await pulumiCli(stack, ["plugin", "ls"]);
    assert.match(listed, new RegExp(`haproxy-cluster\\s+resource\\s+${PLUGIN_VERSION.replace(/\./g, "\\.")}`), listed);
  });

  after(async function () {
    try {
      await stack?.cleanup();
    } finally {
      await pair?.stop();
      await fleet?.stop();
      await removeTemp(projectDir);
    }
  });

  it("a member URL holding the password is refused by check in a real preview, and the engine prints it nowhere", async function () {
    const withPassword = pair.members[0]!.replace("http://", `http://${STATS_USER}:${encodeURIComponent(password)}@`);
    await fs.promises.writeFile(path.join(projectDir, "Pulumi.yaml"), yamlProgram([withPassword, pair.members[1]!], { window: true }));
    const failed = await stack.preview().then(
      () => undefined,
      (error: unknown) => error,
    );
    await fs.promises.writeFile(path.join(projectDir, "Pulumi.yaml"), yamlProgram(pair.members, { window: true }));
    assert.ok(failed instanceof OperationFailed, "the preview fails");
    const record = stack.records.at(-1)!;
    const diagnostics = record.events.filter((e) => e.diagnosticEvent);
    const seen = record.text + JSON.stringify(diagnostics) + String(record.error);
    assert.match(seen, /members: a member URL holds a password/, "the refusal is shown");
    for (const form of [password, encodeURIComponent(password), Buffer.from(`${STATS_USER}:${password}`).toString("base64")]) {
      assert.ok(!seen.includes(form), `the engine echoed the password: ${seen.slice(Math.max(0, seen.indexOf(form) - 300), seen.indexOf(form) + 60)}`);
    }
    assert.deepEqual(await statuses(pair, "server2"), ["UP", "UP"]);
  });

  it("preview plans the window and the gate, reads the cluster's health, and changes nothing on any member", async function () {
    const before = await fingerprint(pair);
    const preview = await stack.preview();
    assert.deepEqual(operationsByResource(preview.record.events), { window: ["create"], gate: ["create"] });
    assert.deepEqual(await fingerprint(pair), before, "nothing changed on either member");
    // The creates say what they would do: the inputs each would be created with (defaults applied by check).
    const planned = preview.record.events.find((e) => e.resourcePreEvent?.metadata.urn.endsWith("::window"))!.resourcePreEvent!.metadata;
    assert.equal(planned.new?.inputs.server, "server2");
    assert.equal(planned.new?.inputs.mode, "drain");
    assert.equal(planned.new?.inputs.minOtherServing, 1);
    // getClusterHealth ran during preview: its answer is known (the gate's and the window's are not).
    // An invoke whose arguments hold a secret (the password) gives a secret answer in Pulumi.
    assert.match(preview.stdout, /healthy\s*:\s*\[secret\]/, `getClusterHealth read during preview:\n${preview.stdout}`);
    assert.match(preview.stdout, /gatePolls\s*:\s*\[unknown\]/, preview.stdout);
    assert.ok(!preview.stdout.includes(password) && !preview.record.text.includes(password), "the preview printed the password");
  });

  it("up drains server2 on both members and passes the gate; state holds the password only encrypted; refresh shows a hand-made drift and up repairs it", async function () {
    const up = await stack.up();
    assert.deepEqual(operationsByResource(up.record.events), { window: ["create"], gate: ["create"] });
    assert.deepEqual(await statuses(pair, "server2"), ["DRAIN", "DRAIN"]);
    for (const other of ["server1", "server3"]) assert.deepEqual(await statuses(pair, other), ["UP", "UP"], other);
    const outputs = await stack.outputs();
    assert.deepEqual(outputs.drainedOn, pair.members);
    assert.equal(outputs.healthy, true);
    assert.ok(Number(outputs.gatePolls) >= 2, `the gate polled: ${outputs.gatePolls}`);

    const exported = await stack.exportEncrypted();
    const text = JSON.stringify(exported);
    assert.ok(!text.includes(password), "the password is in plaintext state");
    const window = exported.deployment.resources!.find((r) => r.type === "haproxy-cluster:index:ServerDrain")!;
    for (const bag of ["inputs", "outputs"]) {
      assert.equal(window[bag].password[Object.keys(window[bag].password)[0]!], "1b47061264138c4ac30d75fd1eb44270", `${bag}.password is a secret: ${JSON.stringify(window[bag].password)}`);
    }
    assert.ok(!up.record.text.includes(password), "up printed the password");

    await runtimeAction(pair.lbs[1]!, `set server ${BACKEND}/server2 state ready`);
    await pair.lbs[1]!.waitForStatus(BACKEND, "server2", (s) => s === "UP");
    const refresh = await stack.refresh();
    assert.equal(refresh.summary.resourceChanges?.update, 1, `refresh shows the drift: ${JSON.stringify(refresh.summary.resourceChanges)}`);
    const drifted = (await stack.stack.exportStack()).deployment.resources.find((r: { type: string }) => r.type === "haproxy-cluster:index:ServerDrain");
    assert.deepEqual(drifted.outputs.drainedOn, [pair.members[0]]);
    assert.deepEqual(await statuses(pair, "server2"), ["DRAIN", "UP"], "refresh only reads");

    const repair = await stack.up();
    assert.deepEqual(operationsByResource(repair.record.events).window, ["update"]);
    assert.deepEqual(await statuses(pair, "server2"), ["DRAIN", "DRAIN"]);
  });

  it("removing the window from the program puts server2 back on fresh checks on both members by the time up returns; destroy removes the gate and changes nothing", async function () {
    await fs.promises.writeFile(path.join(projectDir, "Pulumi.yaml"), yamlProgram(pair.members, { window: false }));
    const close = await stack.up();
    assert.deepEqual(operationsByResource(close.record.events).window, ["delete"]);
    assert.deepEqual(await statuses(pair, "server2"), ["UP", "UP"]);
    const rows = await Promise.all(pair.lbs.map((lb) => lb.stat(BACKEND, "server2")));
    assert.deepEqual(rows.map((r) => r.check_status.replace(/^\* /, "")), ["L7OK", "L7OK"], "back on a passed check");

    const before = await fingerprint(pair);
    const destroy = await stack.destroy();
    assert.deepEqual(operationsByResource(destroy.record.events), { gate: ["delete"] });
    assert.deepEqual(await fingerprint(pair), before);
  });
});
