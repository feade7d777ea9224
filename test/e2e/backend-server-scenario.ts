// BackendServer's life in a real Pulumi program, whatever the program's language: real
// `pulumi up`, `refresh` and `destroy` against two HAProxy members reached over the Runtime
// API (`add server` needs it). The server joins both members and serves only once its app
// passes checks; an address change replaces it with the new server serving before the old
// one leaves (under traffic, no request lost); a reload that dropped it shows on refresh
// and up adds it back; destroy leaves no trace. The Node dynamic resource and the plugin's
// type (from YAML) each run it.
import { strict as assert } from "node:assert";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startAppServer, type AppServer } from "../support/app-server";
import { startCluster, type Cluster as Rig } from "../support/haproxy";
import { memberSpec } from "../support/member-specs";
import { createStack, OperationFailed, type TestStack } from "../support/pulumi-stack";
import { removeDir, trackDir } from "../support/registry";
import { parseStatCsv } from "../support/stat-csv";
import { startTraffic } from "../support/traffic";
import { operationsByResource, prepareProjects, SETUP_TIMEOUT_MS } from "./helpers";

export const BACKEND = "myapp";
/** The resource's name in every program: the generated HAProxy names start with it. */
export const RESOURCE = "web";

export interface ScenarioProject {
  /** Writes the program into `projectDir`: a BackendServer named `web` in backend myapp on `members`, with `checkIntervalMs: 200`, its address and readyTimeoutSeconds from config `address` and `readyTimeoutSeconds`, exporting `server` and `addedOn`. */
  write(projectDir: string, members: string[]): Promise<void>;
  /** Runs once the stack exists (e.g. installs the plugin). */
  prepare?(stack: TestStack): Promise<void>;
  /** The resource type in state. */
  type: string;
}

/**
 * Every server's status on every member over time, every 50 ms: what users could reach at
 * each moment. `stop` takes one more sample, so a change just before it is not missed.
 */
function watchServers(rig: Rig): { samples: Array<Record<string, string>>; stop(): Promise<void> } {
  const samples: Array<Record<string, string>> = [];
  let on = true;
  const sample = async () => {
    const seen: Record<string, string> = {};
    for (const lb of rig.lbs) {
      for (const row of parseStatCsv(await lb.runtime("show stat"))) if (row.pxname === BACKEND && row.svname !== "BACKEND") seen[`${lb.name} ${row.svname}`] = row.status;
    }
    samples.push(seen);
  };
  const loop = (async () => {
    while (on) {
      await sample();
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  return {
    samples,
    stop: async () => {
      on = false;
      await loop;
      await sample();
    },
  };
}

/** Registers the scenario's before, after and tests in the calling describe. */
export function backendServerScenario(label: string, project: ScenarioProject): void {
  let rig: Rig;
  let members: string[];
  const apps: AppServer[] = [];
  let projectDir: string;
  let stack: TestStack;

  before(async function () {
    this.timeout(SETUP_TIMEOUT_MS);
    await prepareProjects();
    rig = await startCluster({ members: 2, servers: 3, check: { interMs: 200, rise: 2, fall: 2 } });
    members = [memberSpec(rig.lbs[0]!, "unix"), memberSpec(rig.lbs[1]!, "tcp")];
    projectDir = await fs.promises.mkdtemp(path.join(os.tmpdir(), `e2e-${label}-`));
    trackDir(projectDir);
    await project.write(projectDir, members);
    stack = await createStack({ projectDir, label, config: { readyTimeoutSeconds: 3 } });
    await project.prepare?.(stack);
  });

  after(async function () {
    try {
      await stack?.cleanup();
    } finally {
      await rig?.stop();
      await Promise.allSettled(apps.map((a) => a.stop()));
      if (projectDir) await removeDir(projectDir);
    }
  });

  async function app(name: string): Promise<AppServer> {
    const started = await startAppServer({ name });
    apps.push(started);
    return started;
  }

  /** `server`'s status on every member, "absent" where a member does not list it. */
  const statusOf = (server: string) =>
    Promise.all(rig.lbs.map(async (lb) => parseStatCsv(await lb.runtime("show stat")).find((r) => r.pxname === BACKEND && r.svname === server)?.status ?? "absent"));

  const record = async () => {
    const found = (await stack.stack.exportStack()).deployment.resources.filter((r: { type: string }) => r.type === project.type);
    assert.equal(found.length, 1, `one ${project.type} in state: ${found.map((r: { urn: string }) => r.urn).join(", ")}`);
    return found[0] as { outputs: Record<string, any> };
  };

  it("up with an app that fails its checks fails at the deadline, naming the server, which never serves; state records it, and once the app passes the next up puts it in rotation", async function () {
    const a = await app("web-a");
    await a.setReady(false);
    await stack.setConfig({ address: `127.0.0.1:${a.port}` });
    const watch = watchServers(rig);
    const failed = await stack.up().then(
      () => undefined,
      (error: unknown) => error,
    );
    await watch.stop();
    assert.ok(failed instanceof OperationFailed, "up fails");
    const text = stack.records.at(-1)!.text;
    const { outputs } = await record();
    const server = String(outputs.server);
    assert.match(server, new RegExp(`^${RESOURCE}-[0-9a-f]{8}$`));
    assert.ok(text.includes(`myapp/${server} was added at 127.0.0.1:${a.port} on ${members.join(", ")} but is not serving on all of them`), text);
    assert.deepEqual(outputs.addedOn, members);
    assert.deepEqual(Object.keys(outputs.failedOn).sort(), [...members].sort());
    const seen = new Set(watch.samples.flatMap((s) => Object.entries(s).filter(([k]) => k.endsWith(` ${server}`)).map(([, v]) => v)));
    assert.ok(seen.size > 0 && ![...seen].some((s) => s.startsWith("UP")), `it was in rotation: ${[...seen].join(", ")}`);
    for (const status of await statusOf(server)) assert.match(status, /^DOWN/);

    await a.setReady(true);
    const up = await stack.up();
    assert.deepEqual(operationsByResource(up.record.events), { [RESOURCE]: ["update"] });
    assert.deepEqual(await statusOf(server), ["UP", "UP"]);
    assert.deepEqual((await stack.outputs()).server, server);
    assert.deepEqual((await record()).outputs.failedOn, {});
  });

  it("an address change replaces the server: the new one serves on every member before the old one leaves, and no request fails", async function () {
    const old = String((await stack.outputs()).server);
    assert.deepEqual(await statusOf(old), ["UP", "UP"]);
    const b = await app("web-b");
    await stack.setConfig({ address: `127.0.0.1:${b.port}` });
    const traffic = startTraffic({ urls: rig.lbs.map((lb) => lb.frontendUrl) });
    const watch = watchServers(rig);
    let up;
    try {
      up = await stack.up();
    } finally {
      await watch.stop();
      await traffic.stop();
    }
    assert.deepEqual(operationsByResource(up.record.events), { [RESOURCE]: ["create-replacement", "replace", "delete-replaced"] });
    const fresh = String((await stack.outputs()).server);
    assert.notEqual(fresh, old);
    assert.deepEqual(await statusOf(fresh), ["UP", "UP"]);
    assert.deepEqual(await statusOf(old), ["absent", "absent"], "the old server left every member");
    // The first moment the old server was out of rotation anywhere, the new one served everywhere.
    const firstOut = watch.samples.findIndex((s) => rig.lbs.some((lb) => s[`${lb.name} ${old}`] !== "UP"));
    assert.ok(firstOut > 0, "the watcher saw the old server leave");
    for (const lb of rig.lbs) assert.equal(watch.samples[firstOut]![`${lb.name} ${fresh}`], "UP", `${lb.name} when ${old} left: ${JSON.stringify(watch.samples[firstOut])}`);
    assert.ok(traffic.total > 50, `traffic ran: ${traffic.total}`);
    assert.deepEqual([...traffic.counts.keys()], ["200"], `every request answered 200: ${JSON.stringify([...traffic.counts])}`);
  });

  it("refresh after a reload on lb2 shows the server missing there; up adds it back, serving on both", async function () {
    const server = String((await stack.outputs()).server);
    await rig.lbs[1]!.reload();
    assert.deepEqual(await statusOf(server), ["UP", "absent"]);
    const refresh = await stack.refresh();
    assert.equal(refresh.summary.resourceChanges?.update, 1, `refresh shows the drift: ${JSON.stringify(refresh.summary.resourceChanges)}`);
    assert.deepEqual((await record()).outputs.addedOn, [members[0]]);
    assert.deepEqual(await statusOf(server), ["UP", "absent"], "refresh only reads");

    const up = await stack.up();
    assert.deepEqual(operationsByResource(up.record.events), { [RESOURCE]: ["update"] });
    assert.deepEqual(await statusOf(server), ["UP", "UP"]);
    assert.deepEqual((await record()).outputs.addedOn, members);
  });

  it("destroy removes the server from every member, leaving the configured servers serving", async function () {
    const server = String((await stack.outputs()).server);
    const destroy = await stack.destroy();
    assert.deepEqual(operationsByResource(destroy.record.events), { [RESOURCE]: ["delete"] });
    assert.deepEqual(await statusOf(server), ["absent", "absent"]);
    for (const s of ["server1", "server2", "server3"]) assert.deepEqual(await statusOf(s), ["UP", "UP"], s);
  });
}
