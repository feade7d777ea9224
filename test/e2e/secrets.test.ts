// The stats password given as secret stack config (members as URLs without it) reaches
// HAProxy's stats pages through real `pulumi preview`, `up`, `refresh` and `destroy`, and
// never shows in plaintext: not in `pulumi stack export`, not in the engine's output or
// events, not in any file of the stack's backend, PULUMI_HOME or config.
import { strict as assert } from "node:assert";
import fs from "node:fs";
import path from "node:path";
import { createStack, OperationFailed, type TestStack } from "../support/pulumi-stack";
import {
  EXAMPLES_DIR,
  SETUP_TIMEOUT_MS,
  STATS_USER,
  appSpecs,
  filesUnder,
  newPassword,
  prepareProjects,
  secretForms,
  startApps,
  startPair,
  statuses,
  waitAllUp,
  type AppFleet,
  type AppSpec,
  type Pair,
} from "./helpers";

describe("e2e: the stats password from stack config stays secret through real preview, up, refresh and destroy", function () {
  this.timeout(300_000);
  const password = newPassword();
  let apps: AppSpec[];
  let fleet: AppFleet;
  let pair: Pair;
  const stacks: TestStack[] = [];

  before(async function () {
    assert.equal(process.env.HAPROXY_CLUSTER_PASSWORD, undefined, "the password can only come from stack config");
    this.timeout(SETUP_TIMEOUT_MS);
    await prepareProjects(path.join(EXAMPLES_DIR, "maintenance-window"), path.join(EXAMPLES_DIR, "cluster-health"));
    apps = await appSpecs();
    fleet = await startApps(apps, "v1", "secrets");
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

  it("the stats pages need the password, and the members in config do not carry it", async function () {
    for (const lb of pair.lbs) {
      assert.equal((await fetch(`${lb.statsUrl};csv`)).status, 401, `${lb.name} without the password`);
      const auth = `Basic ${Buffer.from(`${STATS_USER}:${password}`).toString("base64")}`;
      assert.equal((await fetch(`${lb.statsUrl};csv`, { headers: { authorization: auth } })).status, 200, `${lb.name} with it`);
    }
    for (const member of pair.members) assert.match(member, /^http:\/\/127\.0\.0\.1:\d+\/stats$/);
  });

  it("a member URL holding the password is refused by a real pulumi preview without the engine printing it", async function () {
    const [first, ...rest] = pair.members;
    const withPassword = first!.replace("http://", `http://${STATS_USER}:${encodeURIComponent(password)}@`);
    const window = await createStack({
      projectDir: path.join(EXAMPLES_DIR, "maintenance-window"),
      label: "secret-in-url",
      config: { members: [withPassword, ...rest], server: "server1" },
    });
    stacks.push(window);
    const failed = await window.preview().then(
      () => undefined,
      (error: unknown) => error,
    );
    assert.ok(failed instanceof OperationFailed, "the preview fails");
    const record = window.records.find((r) => r.operation === "preview")!;
    // What the engine prints and its diagnostics. (Its prelude event and the default
    // provider's inputs carry the stack's plaintext config, where the user put the URL:
    // that is theirs, as is Pulumi.<stack>.yaml.)
    const events = record.events.filter((e) => "diagnosticEvent" in e && e.diagnosticEvent);
    assert.ok(events.length > 0, "the refusal came as a diagnostic");
    const seen = record.text + JSON.stringify(events) + String(record.error);
    assert.match(seen, /members: a member URL holds a password/, "the refusal is shown");
    const leaks = secretForms(password).flatMap((form) => (seen.includes(form) ? [seen.slice(Math.max(0, seen.indexOf(form) - 300), seen.indexOf(form) + 60)] : []));
    assert.deepEqual(leaks, [], "the engine never echoed the password");
    assert.deepEqual(await statuses(pair, "server1"), ["UP", "UP"]);
  });

  it("maintenance-window and cluster-health use it against the stats pages (a drain on every member, health read), and no output, event, export or file holds it in plaintext", async function () {
    const window = await createStack({
      projectDir: path.join(EXAMPLES_DIR, "maintenance-window"),
      label: "secret-window",
      config: { members: pair.members, statsUser: STATS_USER, server: "server1" },
      secrets: { statsPassword: password },
    });
    stacks.push(window);
    const health = await createStack({
      projectDir: path.join(EXAMPLES_DIR, "cluster-health"),
      label: "secret-health",
      config: { members: pair.members, statsUser: STATS_USER },
      secrets: { statsPassword: password },
    });
    stacks.push(health);
    const configFiles = [window, health].map((s) => path.join(s.projectDir, `Pulumi.${s.name}.yaml`));
    const configTexts = configFiles.map((f) => fs.readFileSync(f, "utf8"));
    for (const text of configTexts) assert.match(text, /statsPassword:\s+secure: /, "the config file holds it encrypted");

    // The only way in the stacks were given is the stats pages, with the password from config.
    await window.preview();
    await window.up();
    assert.deepEqual(await statuses(pair, "server1"), ["DRAIN", "DRAIN"], "drained through both stats pages");
    await window.refresh();
    const exported = JSON.stringify(await window.exportEncrypted());
    const decrypted = await window.stack.exportStack(); // --show-secrets: what the resource got
    const drain = (decrypted.deployment.resources ?? []).find((r: { type: string }) => r.type.endsWith(":ServerDrain"));
    assert.equal(drain?.inputs?.password?.plaintext, JSON.stringify(password), "the drain was given the stack's password");
    const drainExported = (JSON.parse(exported).deployment.resources ?? []).find((r: { type: string }) => r.type.endsWith(":ServerDrain"));
    assert.equal(typeof drainExported?.inputs?.password?.ciphertext, "string");
    assert.equal(typeof drainExported?.outputs?.password?.ciphertext, "string");
    await window.destroy();
    assert.deepEqual(await statuses(pair, "server1"), ["UP", "UP"], "put back through both stats pages");

    await health.preview();
    await health.up();
    const outputs = await health.outputs();
    assert.deepEqual([outputs.healthy, outputs.membersRead, outputs.unreadable], [true, 2, {}], "health was read through both stats pages");
    await health.refresh();
    const healthExported = JSON.stringify(await health.exportEncrypted());
    await health.destroy();

    const places: Array<{ where: string; text: string }> = [
      { where: "pulumi stack export (maintenance-window)", text: exported },
      { where: "pulumi stack export (cluster-health)", text: healthExported },
      ...configTexts.map((text, i) => ({ where: configFiles[i]!, text })),
    ];
    for (const s of [window, health]) {
      for (const r of s.records) {
        places.push({ where: `${s.name}: output of ${r.operation}`, text: r.text });
        places.push({ where: `${s.name}: events of ${r.operation}`, text: JSON.stringify(r.events) });
      }
      for (const f of [...(await filesUnder(s.dirs.backend)), ...(await filesUnder(s.dirs.home))]) places.push({ where: f.file, text: f.text });
    }
    assert.deepEqual([window, health].map((s) => s.records.map((r) => r.operation)), [["preview", "up", "refresh", "destroy"], ["preview", "up", "refresh", "destroy"]]);
    assert.ok(places.some((p) => p.where.includes("/.pulumi/stacks/")), "the backend's stack files were searched");
    const leaks = places.filter((p) => secretForms(password).some((form) => p.text.includes(form))).map((p) => p.where);
    assert.deepEqual(leaks, []);
    assert.ok(places.filter((p) => p.where.includes("events of up")).every((p) => p.text.length > 1_000), "the events were collected");
  });
});
