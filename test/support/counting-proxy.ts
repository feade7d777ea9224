// A unix socket in front of a member's Runtime API socket that counts what goes through:
// the Runtime API takes one command per connection, so connections are round trips, and
// the first line a client sends names the command (`show proc`, `@1 show stat`…).
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { removeDir, trackDir } from "./registry";

export interface CountingProxy {
  /** `unix:<socket>`, the member spec to give instead of the real socket. */
  readonly spec: string;
  /** Connections since the last reset. */
  connections(): number;
  /** Of those, the ones opened while none was open: reads sent together count once. */
  roundTrips(): number;
  /** The commands sent since the last reset, in order, as their first line. */
  commands(): string[];
  reset(): void;
  /** Closes, without an answer, the next connection whose command matches: a member that does not answer once. */
  dropNext(command: RegExp): void;
  /** Holds, unsent, the next connection whose command matches until `release()`; `arrived` resolves when it comes. */
  holdNext(command: RegExp): { arrived: Promise<void>; release(): void };
  close(): Promise<void>;
}

export async function countingProxy(target: string): Promise<CountingProxy> {
  const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), "hc-counting-proxy-"));
  trackDir(dir);
  const socket = path.join(dir, "count.sock");
  let count = 0;
  let waves = 0;
  let open = 0;
  let sent: string[] = [];
  let drop: RegExp | undefined;
  let hold: { command: RegExp; arrive(): void; released: Promise<void> } | undefined;
  // Half-open: the client ends its side after the command, and still reads the answer.
  const clients = new Set<net.Socket>();
  const server = net.createServer({ allowHalfOpen: true }, (client) => {
    clients.add(client);
    client.once("close", () => clients.delete(client));
    count++;
    if (open === 0) waves++;
    open++;
    client.once("close", () => open--);
    let first = "";
    const index = sent.length;
    sent.push("");
    // The command is known once its first line is in: then it is dropped, or sent on.
    const chunks: Buffer[] = [];
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      first += chunk.toString("latin1");
      if (!first.includes("\n")) return;
      client.off("data", onData);
      client.pause();
      sent[index] = first.split("\n")[0]!.trim();
      if (drop?.test(sent[index]!)) {
        drop = undefined;
        client.destroy();
        return;
      }
      const forward = () => {
        const upstream = net.connect({ path: target, allowHalfOpen: true });
        const end = () => {
          client.destroy();
          upstream.destroy();
        };
        client.on("error", end);
        upstream.on("error", end);
        upstream.write(Buffer.concat(chunks));
        client.pipe(upstream).pipe(client);
        client.resume();
      };
      const held = hold?.command.test(sent[index]!) ? hold : undefined;
      if (!held) return forward();
      hold = undefined;
      held.arrive();
      void held.released.then(forward);
    };
    client.on("data", onData);
    client.on("error", () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(socket, resolve));
  return {
    spec: `unix:${socket}`,
    connections: () => count,
    roundTrips: () => waves,
    commands: () => [...sent],
    reset: () => {
      count = waves = 0;
      sent = [];
    },
    dropNext: (command) => {
      drop = command;
    },
    holdNext: (command) => {
      let arrive!: () => void;
      let release!: () => void;
      const arrived = new Promise<void>((resolve) => (arrive = resolve));
      const released = new Promise<void>((resolve) => (release = resolve));
      hold = { command, arrive, released };
      return { arrived, release };
    },
    close: async () => {
      // A held command (holdNext never released) would keep close waiting.
      for (const client of clients) client.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await removeDir(dir);
    },
  };
}
