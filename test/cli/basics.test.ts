// The command line itself: help, version, argument errors, where members come from, and
// what the process loads (never @pulumi/pulumi). Saved CSV files stand in for members.
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fixturePath } from "../stats/fixtures";
import { spawnSync } from "node:child_process";
import { CLI, runCli, show } from "./helpers";

const CSV = fixturePath("haproxy-2.6/lb1-show-stat.csv");
const COMMANDS = ["status", "check", "wait", "drain", "maint", "ready", "enable", "disable", "weight", "shutdown-sessions", "rate", "backlog", "sessions", "eval", "analyse"];

function modulesLoaded(stderr: string): string[] {
  return stderr
    .split("\n")
    .filter((l) => l.startsWith("module: "))
    .map((l) => l.slice("module: ".length));
}

describe("the haproxy-cluster command line", function () {
  let dir: string;
  before(function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "hc-cli-"));
    fs.copyFileSync(CSV, path.join(dir, "a.csv"));
    fs.copyFileSync(CSV, path.join(dir, "b.csv"));
  });
  after(function () {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("lists every command in --help and exits 0", async function () {
    const r = await runCli(["--help"]);
    assert.equal(r.code, 0, show(r));
    for (const c of COMMANDS) assert.match(r.stdout, new RegExp(`^  ${c} `, "m"), c);
    assert.match(r.stdout, /--members-file FILE/);
    assert.equal(r.stderr, "");
  });

  it("gives every command its own --help, with the global options", async function () {
    for (const c of COMMANDS) {
      const r = await runCli([c, "--help"]);
      assert.equal(r.code, 0, show(r));
      assert.match(r.stdout, new RegExp(`^Usage: haproxy-cluster ${c}`), c);
      assert.match(r.stdout, /--request-timeout SECONDS/, c);
    }
  });

  it("prints the package version with --version", async function () {
    const pkg = JSON.parse(fs.readFileSync(path.resolve(__dirname, "../../../package.json"), "utf8")) as { version: string };
    const r = await runCli(["--version"]);
    assert.equal(r.code, 0, show(r));
    assert.equal(r.stdout, `${pkg.version}\n`);
  });

  it("starts --version without loading @pulumi/pulumi or any dependency", async function () {
    const r = await runCli(["--debug-modules", "--version"]);
    assert.equal(r.code, 0, show(r));
    const loaded = modulesLoaded(r.stderr);
    assert.ok(loaded.some((m) => m.endsWith(path.join("cli", "main.js"))), "the module list is printed");
    assert.deepEqual(loaded.filter((m) => m.includes("@pulumi")), []);
    assert.deepEqual(loaded.filter((m) => m.includes("node_modules")), [], "--version needs no dependency");
  });

  it("never loads @pulumi/pulumi, not even for eval, which has the whole library in scope", async function () {
    for (const args of [["status", `file:${dir}/a.csv`], ["check", `file:${dir}/a.csv`], ["-e", "typeof Cluster === 'function' && typeof applyServerAction === 'function'", `file:${dir}/a.csv`]]) {
      const r = await runCli(["--debug-modules", ...args]);
      assert.equal(r.code, 0, show(r));
      const loaded = modulesLoaded(r.stderr);
      assert.ok(loaded.some((m) => m.includes(`${path.sep}cluster${path.sep}`)), `the library was loaded for ${args[0]}`);
      assert.deepEqual(loaded.filter((m) => m.includes("@pulumi") || m.includes(`${path.sep}provider${path.sep}pulumi${path.sep}`)), [], args.join(" "));
    }
  });

  it("loads no dependency at all for a one-shot status or check: zod, undici and ssh2 stay out of its start-up", async function () {
    for (const args of [["status", `file:${dir}/a.csv`], ["check", "--backend", "myapp", `file:${dir}/a.csv`]]) {
      const r = await runCli(["--debug-modules", ...args]);
      assert.equal(r.code, 0, show(r));
      const loaded = modulesLoaded(r.stderr);
      assert.ok(loaded.some((m) => m.includes(`${path.sep}member${path.sep}options.js`)), `member options were checked for ${args[0]}`);
      assert.deepEqual(loaded.filter((m) => m.includes("node_modules")), [], args.join(" "));
    }
  });

  it("rejects an unknown command with one sentence on stderr and exit 3", async function () {
    const r = await runCli(["stauts", `file:${dir}/a.csv`]);
    assert.equal(r.code, 3, show(r));
    assert.equal(r.stdout, "");
    assert.equal(r.stderr, 'unknown command "stauts"; run haproxy-cluster --help for the list of commands.\n');
  });

  it("rejects an unknown option, naming it without its value", async function () {
    const r = await runCli(["status", "--colour=secret-value", `file:${dir}/a.csv`]);
    assert.equal(r.code, 3, show(r));
    assert.equal(r.stderr, "unknown option --colour; run haproxy-cluster status --help for the options.\n");
  });

  it("refuses a --password flag and says where a password goes instead", async function () {
    const r = await runCli(["status", "--password", "hunter22", `file:${dir}/a.csv`]);
    assert.equal(r.code, 3, show(r));
    assert.match(r.stderr, /^there is no --password option .*HAPROXY_CLUSTER_PASSWORD or use --password-file FILE\.\n$/);
    assert.doesNotMatch(r.stderr + r.stdout, /hunter22/);
  });

  it("rejects bad numbers with exit 3", async function () {
    const r = await runCli(["check", "--warning", "eighty", `file:${dir}/a.csv`]);
    assert.equal(r.code, 3, show(r));
    assert.equal(r.stdout, 'HAPROXY-CLUSTER UNKNOWN - --warning must be a number from 0 to 100, not "eighty".\n');
    const w = await runCli(["wait", "--backend", "myapp", "--min-checks", "0", `file:${dir}/a.csv`]);
    assert.equal(w.code, 3, show(w));
    assert.match(w.stderr, /--min-checks must be a whole number of at least 1/);
  });

  it("says how to give members when there are none", async function () {
    const r = await runCli(["status"]);
    assert.equal(r.code, 3, show(r));
    assert.equal(r.stderr, "status needs members: give them as arguments, with --members-file FILE, or in HAPROXY_CLUSTER_MEMBERS.\n");
  });

  it("reads members from arguments and --members-file together, skipping comments and blank lines", async function () {
    const file = path.join(dir, "members.txt");
    fs.writeFileSync(file, `# the second load balancer\n\nfile:${dir}/b.csv   # saved yesterday\n`);
    const r = await runCli(["status", `file:${dir}/a.csv`, "--members-file", file]);
    assert.equal(r.code, 0, show(r));
    assert.match(r.stdout, new RegExp(`^m1  file:${dir}/a\\.csv\nm2  file:${dir}/b\\.csv\n`));
  });

  it("reads members from HAPROXY_CLUSTER_MEMBERS, comma or space separated, when none is given otherwise", async function () {
    const r = await runCli(["status", "--json"], { env: { HAPROXY_CLUSTER_MEMBERS: `file:${dir}/a.csv, file:${dir}/b.csv` } });
    assert.equal(r.code, 0, show(r));
    const doc = JSON.parse(r.stdout) as { members: Array<{ member: string }> };
    assert.deepEqual(doc.members.map((m) => m.member), [`file:${dir}/a.csv`, `file:${dir}/b.csv`]);
  });

  it("names an unreadable --members-file", async function () {
    const r = await runCli(["status", "--members-file", path.join(dir, "missing.txt")]);
    assert.equal(r.code, 3, show(r));
    assert.match(r.stderr, /^cannot read --members-file .*missing\.txt \(ENOENT\); check the path\.\n$/);
  });

  it("warns on stderr when TLS verification is switched off", async function () {
    const r = await runCli(["status", "--insecure-skip-tls-verify", `file:${dir}/a.csv`]);
    assert.equal(r.code, 0, show(r));
    assert.match(r.stderr, /warning: --insecure-skip-tls-verify: https certificates are not verified/);
  });

  it("rejects a bad member spec with exit 3", async function () {
    const r = await runCli(["status", "ftp://lb1/stats"]);
    assert.equal(r.code, 3, show(r));
    assert.equal(r.stderr, "ftp://lb1/stats: unsupported scheme ftp:; use http, https, unix, tcp, ssh or file.\n");
  });

  it("uses no colour when stdout is not a terminal", async function () {
    const r = await runCli(["status", `file:${dir}/a.csv`]);
    assert.doesNotMatch(r.stdout + r.stderr, /\u001b\[/);
  });

  it("uses colour on a terminal unless NO_COLOR is set", async function () {
    // util-linux `script` (Debian's bsdutils, an essential package) gives the CLI a
    // pseudo-terminal. Where it is missing this test fails, saying so: CI skips nothing.
    assert.equal(spawnSync("script", ["--version"]).status, 0, "this test needs util-linux `script` (Debian: bsdutils) to give the CLI a terminal");
    const inTerminal = (env: string) => spawnSync("script", ["-qec", `${env} ${process.execPath} ${CLI} status file:${dir}/a.csv`, "/dev/null"], { encoding: "utf8" });
    const colour = inTerminal("");
    assert.equal(colour.status, 0, colour.stderr);
    assert.match(colour.stdout, /\u001b\[32mUP\u001b\[39m/);
    const plain = inTerminal("NO_COLOR=1");
    assert.equal(plain.status, 0, plain.stderr);
    assert.doesNotMatch(plain.stdout, /\u001b\[/);
  });
});
