// Free TCP ports for the rig, picked at run time so parallel runs never collide on a
// fixed number. A port is free when the kernel hands it out for a bind to port 0.
import net from "node:net";

// Ports handed out recently in this process: the kernel may hand the same number out
// again right after we close it, and two members of one config must not share a port.
const handedOut = new Set<number>();

function bindAndRelease(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error("bind to port 0 gave no port"))));
    });
  });
}

/** A port on 127.0.0.1 that nothing listens on right now and this process has not handed out before. */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await bindAndRelease();
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error("freePort: the kernel kept handing out ports this process already used (50 tries)");
}
