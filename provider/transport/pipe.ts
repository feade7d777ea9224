// How one Runtime API command's bytes travel: a byte pipe opens a fresh duplex per
// command (HAProxy answers one command, then closes). The protocol on top
// (runtime-api.ts) writes the line, half-closes, and reads the answer; a pipe only
// connects, and says in the member's words why it could not.

import * as net from "node:net";
import type { Duplex } from "node:stream";
import { HcError } from "../errors";

export interface BytePipe {
  /** Opens a duplex to the Runtime API for one command; rejects with an HcError naming the member. */
  open(timeoutMs: number): Promise<Duplex>;
  /** Frees whatever the pipe keeps between commands (an SSH connection); idempotent. */
  close(): Promise<void>;
}

/** What an errno means when talking to a Runtime API socket, in words an operator can act on. */
const ERRNO_ADVICE: Record<string, string> = {
  ENOENT: "the socket file does not exist; is HAProxy running, and is `stats socket` set to this path?",
  ECONNREFUSED: "connection refused; is HAProxy running and is its `stats socket` at this address?",
  EACCES: "permission denied opening the socket; run as a user that may open it (see `stats socket … mode/user/group`).",
  ECONNRESET: "HAProxy closed the connection before answering; try again (HAProxy may be reloading).",
  EPIPE: "HAProxy closed the connection before answering; try again (HAProxy may be reloading).",
  EHOSTUNREACH: "host unreachable; check the address and the network.",
  ENOTFOUND: "host not found; check the name.",
  EAI_AGAIN: "host not found; check the name.",
};

export function socketError(member: string, error: NodeJS.ErrnoException): HcError {
  if (error instanceof HcError) return error;
  // A unix socket whose listen backlog is full refuses at once with EAGAIN: HAProxy is
  // there but not accepting, i.e. hung or overloaded; waiting longer is what a timeout is.
  if (error.code === "EAGAIN") {
    return new HcError("HC_MEMBER_TIMEOUT", `${member}: HAProxy is not accepting connections on its socket (its backlog is full): it is hung or overloaded; check that the process is alive and not stopped.`, { member, errno: error.code }, { cause: error });
  }
  const text = ERRNO_ADVICE[error.code ?? ""] ?? `${error.message}; check the address.`;
  return new HcError("HC_MEMBER_UNREACHABLE", `${member}: ${text}`, { member, errno: error.code }, { cause: error });
}

/** A local unix socket or a TCP address: node:net, nothing kept between commands. */
export class SocketPipe implements BytePipe {
  constructor(
    private readonly member: string,
    private readonly where: net.NetConnectOpts,
  ) {}

  open(timeoutMs: number): Promise<Duplex> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(this.where);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new HcError("HC_MEMBER_TIMEOUT", `${this.member}: could not connect within ${timeoutMs / 1000} s; check that HAProxy is alive, or raise the timeout.`, { member: this.member }));
      }, timeoutMs);
      socket.once("connect", () => {
        clearTimeout(timer);
        socket.removeAllListeners("error");
        resolve(socket);
      });
      socket.once("error", (error: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(socketError(this.member, error));
      });
    });
  }

  async close(): Promise<void> {}
}
