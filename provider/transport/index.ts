// Picks the transport for a member spec.

import type { ResolvedMember } from "../member/spec";
import { FileTransport } from "./file";
import { SocketPipe } from "./pipe";
import { RuntimeApiTransport } from "./runtime-api-transport";
import type { Transport } from "./types";

export function createTransport(resolved: ResolvedMember): Transport {
  const { target, options, credentials } = resolved;
  const role = options.masterSocket === undefined ? undefined : options.masterSocket ? "master" : "worker";
  switch (target.kind) {
    case "http": {
      // Loaded on first use: a CLI run over sockets only need not load HTTP and TLS.
      const { HttpTransport } = require("./http") as typeof import("./http");
      return new HttpTransport(target, options, credentials);
    }
    case "unix":
      return new RuntimeApiTransport(target.name, new SocketPipe(target.name, { path: target.path! }), options, role);
    case "tcp":
      return new RuntimeApiTransport(target.name, new SocketPipe(target.name, { host: target.host!, port: target.port! }), options, role);
    case "ssh": {
      // ssh2 costs ~250 ms to load: only ssh members pay it. "./ssh/index", not "./ssh":
      // a build left over from before ssh.ts became a folder would shadow the folder.
      const { SshPipe } = require("./ssh/index") as typeof import("./ssh/index");
      return new RuntimeApiTransport(target.name, new SshPipe(target, options, resolved.sshSecrets), options, role);
    }
    case "file":
      return new FileTransport(target);
  }
}

export { FileTransport, RuntimeApiTransport };
export type { ServerStateAction, StatsQuery, StatsRowType, Transport, Weight } from "./types";
