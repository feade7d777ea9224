// `npm run demo`: two HAProxy instances and three app servers on 127.0.0.1, then the
// repository's Pulumi program deploys v1 and rolls to v2 with real `pulumi up`, while
// the cluster's state changes and a light stream of requests are printed as they happen.
// Everything started is stopped at the end, also on Ctrl-C.

import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { LocalWorkspace, PulumiCommand, type EngineEvent, type Stack } from "@pulumi/pulumi/automation";
import { Cluster } from "../provider/cluster/cluster";
import { startHaproxy, type HaproxyInstance } from "../test/support/haproxy";
import { freePort } from "../test/support/ports";
import { stopAll } from "../test/support/registry";

const ROOT = path.resolve(__dirname, "..", "..");
const SERVERS = ["server1", "server2", "server3"];
const WARMUP_MS = 1500;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const appProcess = require(path.join(ROOT, "examples", "rolling-deploy", "app-process.js")) as {
  APP_SCRIPT: string;
  checkAppInputs(news: Record<string, unknown>): { inputs: Record<string, unknown> };
  startApp(inputs: Record<string, unknown>): Promise<{ pid: number }>;
  stopApp(inputs: Record<string, unknown>): Promise<unknown>;
};

const started = Date.now();
const stamp = (): string => `${((Date.now() - started) / 1000).toFixed(1).padStart(6)}s`;
const say = (text: string): void => console.log(`${stamp()}  ${text}`);

interface Traffic {
  ok: number;
  failed: number;
  versions: Map<string, number>;
  stop(): Promise<void>;
}

/** A light, bounded stream of requests through both frontends: what customers would see. */
function sendTraffic(lbs: HaproxyInstance[]): Traffic {
  const traffic: Traffic = { ok: 0, failed: 0, versions: new Map(), stop: async () => {} };
  let running = true;
  const loop = async (url: string): Promise<void> => {
    while (running) {
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
        const body = await res.text();
        if (res.status >= 500) {
          traffic.failed++;
          say(`!! ${res.status} from ${url}`);
        } else {
          traffic.ok++;
          const version = body.trim().split(" ")[1] ?? "?";
          traffic.versions.set(version, (traffic.versions.get(version) ?? 0) + 1);
        }
      } catch (error) {
        traffic.failed++;
        say(`!! ${url}: ${(error as Error).message}`);
      }
      await new Promise((r) => setTimeout(r, 40));
    }
  };
  const loops = lbs.map((lb) => loop(`${lb.frontendUrl}/`));
  traffic.stop = async () => {
    running = false;
    await Promise.all(loops);
  };
  return traffic;
}

/** Prints engine steps briefly: what Pulumi is doing to which resource. */
function onEvent(event: EngineEvent): void {
  const pre = event.resourcePreEvent?.metadata;
  if (pre && pre.type !== "pulumi:pulumi:Stack" && pre.op !== "same" && !pre.type.startsWith("pulumi:providers")) {
    say(`pulumi: ${pre.op} ${pre.urn.split("::").pop()}`);
  }
  const diag = event.diagnosticEvent;
  if (diag && (diag.severity === "error" || diag.severity === "warning")) say(`pulumi ${diag.severity}: ${diag.message.trim()}`);
}

async function main(): Promise<void> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "haproxy-cluster-demo-"));
  const stateDir = path.join(work, "apps");
  const password = randomBytes(12).toString("hex");
  let stack: Stack | undefined;
  let lbs: HaproxyInstance[] = [];
  let traffic: Traffic | undefined;
  const controller = new AbortController();
  const apps: Record<string, unknown>[] = [];
  let cleaned = false;

  const cleanup = async (): Promise<void> => {
    if (cleaned) return;
    cleaned = true;
    controller.abort();
    await traffic?.stop();
    if (stack) {
      say("cleaning up: pulumi destroy (stops the apps it deployed)");
      await stack.destroy({ onEvent }).catch((e: Error) => say(`destroy failed: ${e.message.split("\n")[0]}`));
      await stack.workspace.removeStack(stack.name).catch(() => undefined);
    }
    for (const app of apps) await appProcess.stopApp(app).catch(() => undefined);
    await Promise.all(lbs.map((lb) => lb.stop()));
    await stopAll();
    fs.rmSync(path.join(ROOT, "Pulumi.demo.yaml"), { force: true });
    fs.rmSync(work, { recursive: true, force: true });
    say("everything the demo started is stopped");
  };
  process.once("SIGINT", () => {
    say("interrupted");
    void cleanup().then(() => process.exit(130));
  });

  try {
    say("getting the Pulumi CLI (scripts/pulumi-cli.sh; the first run builds it from Go modules, about 5-10 minutes)");
    const binDir = execFileSync("bash", [path.join(ROOT, "scripts", "pulumi-cli.sh")], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] }).trim().split("\n").pop()!;

    const ports = await Promise.all(SERVERS.map(() => freePort()));
    for (const [i, name] of SERVERS.entries()) {
      const { inputs } = appProcess.checkAppInputs({ name, port: ports[i], version: "v0", stateDir, warmupMs: 0, script: appProcess.APP_SCRIPT });
      apps.push(inputs);
      await appProcess.startApp(inputs);
    }
    say(`three app servers at v0 on ports ${ports.join(", ")}`);

    const servers = SERVERS.map((name, i) => ({ name, port: ports[i]! }));
    const backends = [{ name: "myapp", servers, check: { interMs: 500, rise: 2, fall: 2 } }];
    lbs = await Promise.all(["lb1", "lb2"].map((name) => startHaproxy({ name, backends, statsAuth: { user: "admin", password } })));
    for (const lb of lbs) await Promise.all(SERVERS.map((s) => lb.waitForStatus("myapp", s, (st) => st === "UP", 15_000)));
    // lb1 through its stats page (the password comes from a Pulumi secret), lb2 through its Runtime API socket.
    const members = [lbs[0]!.statsUrl, `unix:${lbs[1]!.adminSocket}`];
    say(`two HAProxy members, every server UP on both: ${members.join("  ")}`);

    const cluster = new Cluster(members, { username: "admin", password });
    void cluster.poll((_snap, changes) => changes.forEach((t) => say(t.message)), { intervalSeconds: 0.1, signal: controller.signal, snapshot: { backend: "myapp" } });
    traffic = sendTraffic(lbs);

    const pulumiCommand = await PulumiCommand.get({ root: path.dirname(binDir), skipVersionCheck: true });
    const envVars = {
      PULUMI_BACKEND_URL: `file://${work}`,
      PULUMI_CONFIG_PASSPHRASE: "demo",
      PULUMI_SKIP_UPDATE_CHECK: "true",
      PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
      PULUMI_HOME: path.join(work, "pulumi-home"),
    };
    stack = await LocalWorkspace.createOrSelectStack({ stackName: "demo", workDir: ROOT }, { pulumiCommand, envVars });
    await stack.setAllConfig({
      members: { value: JSON.stringify(members) },
      servers: { value: JSON.stringify(servers) },
      statsUser: { value: "admin" },
      statsPassword: { value: password, secret: true },
      stateDir: { value: stateDir },
      warmupMs: { value: String(WARMUP_MS) },
      gate: { value: JSON.stringify({ intervalSeconds: 0.5, minChecks: 2, timeoutSeconds: 120 }) },
    });

    for (const version of ["v1", "v2"]) {
      await stack.setConfig("version", { value: version });
      say(`pulumi up: rolling deploy to ${version}, one server at a time (new apps answer 503 for ${WARMUP_MS} ms while they warm up)`);
      const result = await stack.up({ onEvent });
      say(`pulumi up ${version}: ${result.summary.result} in ${((new Date(result.summary.endTime).getTime() - new Date(result.summary.startTime).getTime()) / 1000).toFixed(1)} s`);
    }

    await traffic.stop();
    const outputs = await stack.outputs();
    const health = outputs.health?.value as { healthy: boolean; members: Array<{ member: string; backends: Array<{ name: string; serving: number; total: number }> }> };
    say(`stack output versions: ${JSON.stringify(outputs.versions?.value)}`);
    for (const m of health.members) for (const b of m.backends) say(`stack output health: ${m.member} ${b.name} ${b.serving}/${b.total} serving`);
    const versions = [...traffic.versions].map(([v, n]) => `${v}: ${n}`).join(", ");
    say(`traffic through both frontends during the deploys: ${traffic.ok + traffic.failed} requests, ${traffic.failed} failed (${versions})`);
    if (traffic.failed > 0) process.exitCode = 1;
  } finally {
    await cleanup();
  }
}

main().catch((error: unknown) => {
  console.error(`demo failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
