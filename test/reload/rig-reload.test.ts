// The rig's graceful reload, on whichever HAProxy HC_HAPROXY_BIN names: a new process
// takes over the sockets, the old one leaves, and runtime state survives only with a
// server-state file saved just before the reload (what the README's configuration does).
import assert from "node:assert/strict";
import { startAppServer, type AppServer } from "../support/app-server";
import { pidAlive } from "../support/child";
import { waitFor } from "../support/deadline";
import { startHaproxy } from "../support/haproxy";

describe("reloading a real HAProxy gracefully (-sf)", function () {
  this.timeout(60_000);
  let app: AppServer;
  before(async () => (app = await startAppServer({ name: "s1" })));
  after(async () => app.stop());

  for (const serverStateFile of [false, true]) {
    it(serverStateFile ? "keeps a drain across the reload when the state is saved to the server-state file" : "forgets a drain across the reload without a server-state file", async function () {
      const lb = await startHaproxy({ name: "reloaded", serverStateFile, backends: [{ name: "be", servers: [{ name: "s1", port: app.port }] }] });
      try {
        await lb.waitForStatus("be", "s1", (s) => s === "UP");
        assert.equal(await lb.runtime("set server be/s1 state drain"), "\n");
        const oldPid = lb.pid;
        const newPid = await lb.reload({ saveState: serverStateFile });
        assert.notEqual(newPid, oldPid);
        assert.equal(lb.pid, newPid);
        assert.match(await lb.runtime("show info"), new RegExp(`^Pid: ${newPid}$`, "m"));
        await waitFor(`the old HAProxy (PID ${oldPid}) to leave`, () => (pidAlive(oldPid) ? undefined : true));
        const status = (await lb.stat("be", "s1")).status;
        if (serverStateFile) assert.match(status, /^DRAIN/);
        else assert.doesNotMatch(status, /DRAIN/);
      } finally {
        await lb.stop();
      }
    });
  }
});
