// One Runtime API exchange: connect, send one command line, read until HAProxy closes.
import net from "node:net";

export type RuntimeTarget = { path: string } | { host: string; port: number };

export function runtimeCommand(target: RuntimeTarget, command: string, timeoutMs = 5_000): Promise<string> {
  const where = "path" in target ? target.path : `${target.host}:${target.port}`;
  return new Promise((resolve, reject) => {
    const socket = net.createConnection(target);
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`runtime API ${where}: no complete reply to ${JSON.stringify(command)} within ${timeoutMs} ms`));
    }, timeoutMs);
    // Write without half-closing: HAProxy answers and then closes the connection itself.
    socket.on("connect", () => socket.write(`${command}\n`));
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("error", (error) => {
      clearTimeout(timer);
      reject(new Error(`runtime API ${where}: ${error.message}`));
    });
    socket.on("close", (hadError) => {
      clearTimeout(timer);
      if (!hadError) resolve(Buffer.concat(chunks).toString());
    });
  });
}
