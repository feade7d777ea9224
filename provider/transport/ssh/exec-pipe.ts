// socat over an exec channel, for an sshd that refuses to forward to a unix socket: the
// command line, its quoting, and a duplex whose end means success.

import { Duplex } from "node:stream";
import type { ClientChannel } from "ssh2";
import { HcError } from "../../errors";

export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

export async function collect(channel: ClientChannel): Promise<{ code: number | null; stdout: string }> {
  let stdout = "";
  let code: number | null = null;
  channel.on("data", (d: Buffer) => (stdout += d.toString()));
  channel.stderr.resume();
  channel.end(); // nothing to send: without EOF on stdin the command may wait for input
  // A channel that closes without an exit status (sshd ended the session) must not hang us:
  // the code is then unknown (null), which callers treat as a failure.
  await new Promise<void>((resolve) => {
    channel.on("exit", (c: number | null) => resolve(void (code = c)));
    channel.on("close", () => resolve());
  });
  return { code, stdout };
}

/**
 * socat over an exec channel, as a duplex whose end means success: socat's own failure
 * (no socket there) arrives as an exit code, and must not read as an empty, successful reply.
 */
export class ExecPipe extends Duplex {
  private stderr = "";
  private exitCode: number | null = null;

  constructor(
    private readonly member: string,
    private readonly socketPath: string,
    private readonly channel: ClientChannel,
  ) {
    super();
    channel.on("data", (data: Buffer) => this.push(data));
    channel.stderr.on("data", (data: Buffer) => {
      if (this.stderr.length < 2000) this.stderr += data.toString();
    });
    // The stream may end before the exit status arrives: settle once both are in.
    let ended = false;
    let exited = false;
    let settled = false;
    const settle = (): void => {
      if (!ended || !exited || settled) return;
      settled = true;
      if (this.exitCode === 0) this.push(null);
      else this.destroy(this.failure());
    };
    channel.on("end", () => {
      ended = true;
      settle();
    });
    channel.on("exit", (code: number | null) => {
      this.exitCode = code;
      exited = true;
      settle();
    });
    // Closed without an end or an exit status: settle with what is known (a failure).
    channel.on("close", () => {
      ended = exited = true;
      settle();
    });
  }

  override _read(): void {}

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.channel.write(chunk, callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.channel.end();
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.channel.destroy();
    callback(error);
  }

  private failure(): HcError {
    const said = this.stderr.trim().split("\n").pop() ?? "";
    const missing = /No such file|ENOENT/.test(said);
    const text = missing
      ? `socat on the far side found no socket at ${this.socketPath}; check the path (stats socket in haproxy.cfg) and that HAProxy runs.`
      : `socat on the far side failed (exit ${this.exitCode ?? "unknown"}${said ? `: ${said.replace(/^\S+ \S+ socat\[\d+\] /, "")}` : ""}); check the socket path and its permissions.`;
    return new HcError("HC_MEMBER_UNREACHABLE", `${this.member}: ${text}`, { member: this.member });
  }
}
