// What SSH costs: a one-shot `check` over 2 and 20 members reached over SSH (Debian's
// sshd on 127.0.0.1, channels forwarded to each member's admin socket), next to the same
// over local unix sockets; and SSH connections opened per member by one process, however
// many commands it sends (counted from sshd's "Accepted publickey" log lines).
//   node dist/bench/ssh.js [--runs N]
// Every member sits behind the same sshd, with OpenSSH's default `MaxStartups 10:30:100`
// (figures before 2026-12-07 were taken with `MaxStartups 100`, which hid the drops).
//
// Many members behind that one sshd, each a real HAProxy: `check` in batches, every run
// must pass (exit 0), times over all runs:
//   node dist/bench/ssh.js --fleet 20,50 [--batches 5] [--runs 5]
// 2026-12-07, 2 cores shared with other jobs (load 15-40), three runs of 5 × 5: every
// check passed (75/75 each); medians 1.1-2.3 s for 20 members, 1.7-2.7 s for 50. Before
// the per-sshd bound and the retry, 12 members failed 2 runs of 5, 20 failed 3 of 3.
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { Member } from "../provider/model/member";
import { startCluster } from "../test/support/haproxy";
import { waitFor } from "../test/support/deadline";
import { stopAll } from "../test/support/registry";
import { makeSshKeys, startSshd } from "../test/support/sshd";

const CLI = path.resolve(__dirname, "../provider/cli/main.js");
const { values } = parseArgs({ options: { runs: { type: "string" }, fleet: { type: "string" }, batches: { type: "string", default: "5" } } });
const FLEET = values.fleet?.split(",").map(Number);
const RUNS = Math.max(FLEET ? 1 : 3, Number(values.runs ?? (FLEET ? 5 : 9)));
const BATCHES = Math.max(1, Number(values.batches));

/** One CLI process, asynchronously (the rig's processes keep logging meanwhile). */
function once(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, NO_COLOR: "1", ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    child.on("close", (code) => (code === 0 ? resolve(Number(process.hrtime.bigint() - started) / 1e6) : reject(new Error(`${args.join(" ")} exited ${code}:\n${out}`))));
  });
}

async function median(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  await once(args, env);
  const samples: number[] = [];
  for (let i = 0; i < RUNS; i++) samples.push(await once(args, env));
  samples.sort((a, b) => a - b);
  return samples[samples.length >> 1]!;
}

/** `check` over each fleet size in BATCHES batches of RUNS runs; a failed run is counted and shown, not thrown. */
async function fleet(sizes: number[]): Promise<void> {
  // Slow health checks: 50 HAProxy processes checking their servers twice a second would load the machine being measured.
  const cluster = await startCluster({ members: Math.max(...sizes), servers: 3, check: { interMs: 2000, rise: 1 }, upTimeoutMs: 60_000 });
  const keys = await makeSshKeys();
  const sshd = await startSshd({ keys });
  const knownHosts = path.join(keys.dir, "known_hosts");
  fs.writeFileSync(knownHosts, sshd.knownHosts);
  const ssh = cluster.lbs.map((lb) => `ssh://${keys.user}@127.0.0.1:${sshd.port}${lb.adminSocket}`);
  const args = ["check", "--backend", "myapp", "--ssh-identity", keys.key, "--ssh-known-hosts", knownHosts];
  console.log(`one-shot check, members behind one sshd with OpenSSH's default MaxStartups, ${BATCHES} batches of ${RUNS} runs (s)\n`);
  console.log("| members | runs passed | batches all passed | median | min | max |");
  console.log("|--:|--:|--:|--:|--:|--:|");
  for (const n of sizes) {
    const samples: number[] = [];
    let batchesPassed = 0;
    const failures: string[] = [];
    for (let batch = 0; batch < BATCHES; batch++) {
      let passed = 0;
      for (let run = 0; run < RUNS; run++) {
        try {
          samples.push(await once([...args, ...ssh.slice(0, n)], { SSH_AUTH_SOCK: "" }));
          passed++;
        } catch (error) {
          failures.push((error as Error).message.split("\n").slice(0, 3).join(" "));
        }
      }
      if (passed === RUNS) batchesPassed++;
    }
    samples.sort((a, b) => a - b);
    const s = (ms: number | undefined) => (ms === undefined ? "-" : (ms / 1000).toFixed(2));
    console.log(`| ${n} | ${samples.length}/${BATCHES * RUNS} | ${batchesPassed}/${BATCHES} | ${s(samples[samples.length >> 1])} | ${s(samples[0])} | ${s(samples[samples.length - 1])} |`);
    for (const failure of failures) console.log(`  failed: ${failure.slice(0, 400)}`);
    if (failures.length > 0) process.exitCode = 1;
  }
}

async function main(): Promise<void> {
  if (FLEET) return fleet(FLEET);
  const cluster = await startCluster({ members: 20, servers: 3 });
  const keys = await makeSshKeys();
  const sshd = await startSshd({ keys });
  const knownHosts = path.join(keys.dir, "known_hosts");
  fs.writeFileSync(knownHosts, sshd.knownHosts);
  const env = { SSH_AUTH_SOCK: "" };
  const sshArgs = ["--ssh-identity", keys.key, "--ssh-known-hosts", knownHosts];
  const unix = cluster.lbs.map((lb) => `unix:${lb.adminSocket}`);
  const ssh = cluster.lbs.map((lb) => `ssh://${keys.user}@127.0.0.1:${sshd.port}${lb.adminSocket}`);

  console.log(`one-shot check, median of ${RUNS} (ms)\n`);
  console.log("| members | unix | ssh |");
  console.log("|--:|--:|--:|");
  for (const n of [2, 20]) {
    const check = ["check", "--backend", "myapp"];
    const u = await median([...check, ...unix.slice(0, n)], env);
    const s = await median([...check, ...sshArgs, ...ssh.slice(0, n)], env);
    console.log(`| ${n} | ${u.toFixed(0)} | ${s.toFixed(0)} |`);
  }

  console.log("\nSSH connections per member in one process\n");
  console.log("| what | commands per member | SSH connections per member |");
  console.log("|---|--:|--:|");
  // sshd's log comes through a pipe: count once at least `least` logins showed, plus a moment for any more.
  const counted = async (before: number, least: number): Promise<number> => {
    await waitFor("sshd to log the logins", () => (sshd.logins() - before >= least ? true : undefined));
    await new Promise((resolve) => setTimeout(resolve, 1000));
    return sshd.logins() - before;
  };
  let before = sshd.logins();
  await once(["check", "--backend", "myapp", ...sshArgs, ...ssh], env);
  console.log(`| CLI check, 20 members | 2 | ${((await counted(before, 20)) / 20).toFixed(1)} |`);
  before = sshd.logins();
  await once(["drain", "--backend", "myapp", "--server", "server1", "--wait", ...sshArgs, ...ssh.slice(0, 2)], env);
  await once(["ready", "--backend", "myapp", "--server", "server1", "--wait", "--timeout", "60", ...sshArgs, ...ssh.slice(0, 2)], env);
  console.log(`| CLI drain --wait then ready --wait (2 processes), 2 members | many | ${((await counted(before, 4)) / 2 / 2).toFixed(1)} per process |`);
  const members = ssh.slice(0, 2).map((spec) => new Member(spec, { sshIdentityFile: keys.key, sshKnownHostsFile: knownHosts, sshAgent: false }));
  before = sshd.logins();
  for (let i = 0; i < 50; i++) await Promise.all(members.map((m) => m.snapshot({ backend: "myapp" })));
  console.log(`| library, 50 snapshots, 2 members | 100 | ${((await counted(before, 2)) / 2).toFixed(1)} |`);
  await Promise.all(members.map((m) => m.close()));
}

main()
  .catch((error) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(() => stopAll());
