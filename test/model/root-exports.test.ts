// The Pulumi resources as exports of the package root: loaded only when read, and a sentence
// naming what to install when @pulumi/pulumi is missing. Each case runs in a fresh Node process,
// so that what it loads is its own.
import { strict as assert } from "node:assert";
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";

const ROOT = path.resolve(__dirname, "..", "..", "..");

/** Runs `code` in a fresh node with the package root as `hc`; its last stdout line is JSON. */
async function inFreshNode(code: string, preload = ""): Promise<any> {
  const script = `${preload}\nconst hc = require(${JSON.stringify(ROOT)});\nconst loaded = () => Object.keys(require.cache).some((f) => f.includes("@pulumi"));\n${code}`;
  const { stdout } = await promisify(execFile)(process.execPath, ["-e", script], { cwd: ROOT, timeout: 60_000 });
  return JSON.parse(stdout.trim().split("\n").pop()!);
}

describe("the package root's Pulumi exports", function () {
  this.timeout(90_000);

  it("loads @pulumi/pulumi only when a resource is read, and gives the same classes as haproxy-cluster/pulumi", async function () {
    const r = await inFreshNode(`
      const before = loaded();
      const cluster = typeof hc.Cluster;
      const afterModel = loaded();
      const same = hc.ServerDrain === require(${JSON.stringify(path.join(ROOT, "pulumi.js"))}).ServerDrain
        && hc.RollingDeploy === require(${JSON.stringify(path.join(ROOT, "pulumi.js"))}).RollingDeploy;
      console.log(JSON.stringify({ before, cluster, afterModel, same, after: loaded(), drain: typeof hc.ServerDrain }));`);
    assert.deepEqual(r, { before: false, cluster: "function", afterModel: false, same: true, after: true, drain: "function" });
  });

  it("says what to install and where to import from when @pulumi/pulumi is missing, and the model still works", async function () {
    // Makes @pulumi/pulumi unresolvable, as in a project that never installed it.
    const hidePulumi = `
      const Module = require("node:module");
      const resolve = Module._resolveFilename;
      Module._resolveFilename = function (request, ...rest) {
        if (request === "@pulumi/pulumi" || request.startsWith("@pulumi/pulumi/")) {
          throw Object.assign(new Error("Cannot find module '" + request + "'"), { code: "MODULE_NOT_FOUND" });
        }
        return resolve.call(this, request, ...rest);
      };`;
    const r = await inFreshNode(`
      let error;
      try { new hc.ServerDrain("d", {}); } catch (e) { error = e; }
      console.log(JSON.stringify({ code: error && error.code, message: error && error.message, cluster: typeof hc.Cluster, hcError: error instanceof hc.HcError }));`, hidePulumi);
    assert.equal(r.code, "HC_PULUMI_MISSING");
    assert.equal(r.hcError, true);
    assert.equal(r.cluster, "function");
    assert.equal(
      r.message,
      'ServerDrain is a Pulumi resource and needs @pulumi/pulumi, which is not installed here: run npm install @pulumi/pulumi in your Pulumi project, and import ServerDrain from "haproxy-cluster/pulumi" (or "haproxy-cluster").',
    );
  });
});
