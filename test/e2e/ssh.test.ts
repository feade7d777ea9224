// A ServerDrain over SSH members through real `pulumi up` and `destroy`: the private key
// and its passphrase come from secret stack config, reach HAProxy's admin sockets through
// Debian's sshd, and never show in plaintext in state, output, events or files.
import { strict as assert } from "node:assert";
import fs from "node:fs";
import path from "node:path";
import { createStack, type TestStack } from "../support/pulumi-stack";
import { makeSshKeys, startSshd, type Sshd, type SshKeys } from "../support/sshd";
import { EXAMPLES_DIR, SETUP_TIMEOUT_MS, appSpecs, filesUnder, newPassword, prepareProjects, startApps, startPair, statuses, waitAllUp, type AppFleet, type AppSpec, type Pair } from "./helpers";

describe("e2e: a ServerDrain over SSH members, with the key and passphrase as secrets", function () {
  this.timeout(300_000);
  let apps: AppSpec[];
  let fleet: AppFleet;
  let pair: Pair;
  let keys: SshKeys;
  let sshd: Sshd;
  const stacks: TestStack[] = [];

  before(async function () {
    this.timeout(SETUP_TIMEOUT_MS);
    await prepareProjects(path.join(EXAMPLES_DIR, "maintenance-window"));
    apps = await appSpecs();
    fleet = await startApps(apps, "v1", "ssh");
    pair = await startPair(apps, newPassword());
    keys = await makeSshKeys();
    sshd = await startSshd({ keys });
    await waitAllUp(pair, apps);
  });

  after(async function () {
    const results = await Promise.allSettled(stacks.map((s) => s.cleanup()));
    await Promise.allSettled([pair?.stop(), fleet?.stop(), sshd?.stop()]);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed) throw failed.reason;
  });

  it("drains on both members over SSH on up, puts back on destroy, and keeps the key and passphrase secret", async function () {
    const privateKey = fs.readFileSync(keys.encryptedKey, "utf8");
    const members = pair.lbs.map((lb) => `ssh://${keys.user}@127.0.0.1:${sshd.port}${lb.adminSocket}`);
    const stack = await createStack({
      projectDir: path.join(EXAMPLES_DIR, "maintenance-window"),
      label: "ssh-window",
      config: { members, server: "server1", sshKnownHosts: sshd.knownHosts },
      secrets: { sshPrivateKey: privateKey, sshPassphrase: keys.passphrase },
    });
    stacks.push(stack);
    await stack.up();
    assert.deepEqual(await statuses(pair, "server1"), ["DRAIN", "DRAIN"], "drained over SSH on both members");
    const exported = JSON.stringify(await stack.exportEncrypted());
    await stack.destroy();
    assert.deepEqual(await statuses(pair, "server1"), ["UP", "UP"], "put back over SSH on both members");

    const places: Array<{ where: string; text: string }> = [{ where: "pulumi stack export", text: exported }];
    for (const r of stack.records) {
      places.push({ where: `output of ${r.operation}`, text: r.text });
      places.push({ where: `events of ${r.operation}`, text: JSON.stringify(r.events) });
    }
    for (const f of [...(await filesUnder(stack.dirs.backend)), ...(await filesUnder(stack.dirs.home))]) places.push({ where: f.file, text: f.text });
    // The key's body lines (base64) and the passphrase, in any file or stream.
    const forms = [keys.passphrase, ...privateKey.split("\n").filter((l) => l.length > 40 && !l.startsWith("-----"))];
    const leaks = places.filter((p) => forms.some((form) => p.text.includes(form))).map((p) => p.where);
    assert.deepEqual(leaks, []);
    assert.ok(places.some((p) => p.where.includes("/.pulumi/stacks/")), "the backend's stack files were searched");
  });
});
