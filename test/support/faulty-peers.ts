// Peers that fail the way networks do mid-conversation: an answer that trickles in one
// byte a second, and a Runtime API whose replies to writes are lost after the write.
import http from "node:http";
import net from "node:net";
import type { FakeMember } from "./fake-members";
import { trackStop } from "./registry";

/** An HTTP "stats page" that sends a CSV header at 1 byte a second, for ever. */
export async function startTrickle(): Promise<FakeMember> {
  const sockets = new Set<net.Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { "content-type": "text/csv" });
    const text = "# pxname,svname,status,".repeat(100);
    let i = 0;
    const timer = setInterval(() => res.write(text[i++ % text.length]!), 1000);
    timers.add(timer);
    res.on("close", () => clearInterval(timer));
  });
  server.on("connection", (s: net.Socket) => {
    sockets.add(s);
    s.once("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  const close = async (): Promise<void> => {
    untrack();
    for (const t of timers) clearInterval(t);
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  const untrack = trackStop(`trickle :${port}`, close);
  return { url: `http://127.0.0.1:${port}/stats`, port, close };
}

/**
 * A TCP proxy in front of a Runtime API that forwards every command but cuts the
 * connection, without a byte, when HAProxy answers anything but a `show`: the write happened,
 * its reply is lost.
 */
export async function startReplyEater(upstream: { host: string; port: number }): Promise<{ spec: string; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  // Half-open: the client ends its side after the command and still reads the reply.
  const server = net.createServer({ allowHalfOpen: true }, (client) => {
    sockets.add(client);
    client.once("close", () => sockets.delete(client));
    const up = net.connect(upstream);
    sockets.add(up);
    up.once("close", () => sockets.delete(up));
    let command = "";
    client.on("data", (d) => {
      command += d.toString();
      up.write(d);
    });
    client.on("end", () => up.end());
    up.on("data", (d) => {
      if (!command.startsWith("show ")) client.resetAndDestroy();
      else client.write(d);
    });
    up.on("end", () => {
      if (!command.startsWith("show ")) client.resetAndDestroy();
      else client.end();
    });
    up.on("error", () => client.destroy());
    client.on("error", () => up.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  const close = async (): Promise<void> => {
    untrack();
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  const untrack = trackStop(`reply eater :${port}`, close);
  return { spec: `tcp://127.0.0.1:${port}`, close };
}

