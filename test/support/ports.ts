// Free TCP ports for the rig, picked at run time so that concurrent test runs (npm test
// runs its cells side by side) never collide on a number. Two rules make that hold:
// - ports come from below the kernel's ephemeral range, which outgoing connections (health
//   checks, proxied requests) draw their source ports from: a port handed out there could
//   be taken by a connection before its server binds it, or while an app restarts on it;
// - each port is claimed across processes by a file created exclusively in one directory
//   every test process on the machine shares, so two processes never get the same port
//   (a bind-and-release check alone lets a second process take the port just released).
// A claim lasts as long as the process; claims of processes that are gone are taken over.
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";

/** Where claims live: one file per port, holding the claiming process's PID. */
export const PORT_CLAIMS_DIR = path.join(os.tmpdir(), "haproxy-cluster-test-ports");

/** Lowest port handed out; well above the well-known and registered services tests might meet. */
const LOWEST_PORT = 20_000;

/** The first port of the kernel's ephemeral range (Linux's default when it cannot be read). */
function ephemeralStart(): number {
  try {
    const [low] = fs.readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/).map(Number);
    if (low !== undefined && Number.isInteger(low) && low > LOWEST_PORT + 1000) return low;
  } catch {
    // Not Linux, or no /proc: the default range.
  }
  return 32_768;
}

const HIGHEST_PORT = ephemeralStart() - 1;

// Ports this process claimed: never handed out twice (two members of one config must not
// share a port), and their claim files are removed when the process exits.
const claimed = new Set<number>();

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Claims `port` for this process; false if a live process holds it. */
function claim(port: number): boolean {
  const file = path.join(PORT_CLAIMS_DIR, String(port));
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(file, String(process.pid), { flag: "wx" });
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const holder = Number(fs.readFileSync(file, "utf8"));
    if (holder === process.pid || (Number.isInteger(holder) && holder > 0 && pidAlive(holder))) return false;
    // The claimant is gone (killed before its exit handler ran): its claim is stale.
    fs.rmSync(file, { force: true });
  }
  return false;
}

/** True when a bind to 127.0.0.1:port succeeds right now (nothing outside the claims listens there). */
function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

/** A port on 127.0.0.1 that nothing listens on, claimed for this process alone. */
export async function freePort(): Promise<number> {
  fs.mkdirSync(PORT_CLAIMS_DIR, { recursive: true, mode: 0o1777 });
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = LOWEST_PORT + Math.floor(Math.random() * (HIGHEST_PORT - LOWEST_PORT + 1));
    if (claimed.has(port) || !claim(port)) continue;
    claimed.add(port);
    // A claimed port some other program listens on stays claimed (skipped), but is not used.
    if (await bindable(port)) return port;
  }
  throw new Error(`freePort: no free port between ${LOWEST_PORT} and ${HIGHEST_PORT} in 200 tries (claims in ${PORT_CLAIMS_DIR})`);
}

process.on("exit", () => {
  for (const port of claimed) {
    try {
      const file = path.join(PORT_CLAIMS_DIR, String(port));
      if (fs.readFileSync(file, "utf8") === String(process.pid)) fs.rmSync(file, { force: true });
    } catch {
      // Already gone or taken over: nothing of ours to remove.
    }
  }
});
