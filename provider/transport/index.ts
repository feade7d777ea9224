// Picks the transport for a member spec.

import { resolveMember, type MemberOptionsInput, type ResolvedMember } from "../member/spec";
import { FileTransport } from "./file";
import { RuntimeApiTransport } from "./runtime-api";
import type { Transport } from "./types";

export function createTransport(resolved: ResolvedMember): Transport {
  const { target, options, credentials } = resolved;
  switch (target.kind) {
    case "http": {
      // Loaded on first use: a CLI run over sockets only need not load HTTP and TLS.
      const { HttpTransport } = require("./http") as typeof import("./http");
      return new HttpTransport(target, options, credentials);
    }
    case "unix":
    case "tcp":
      return new RuntimeApiTransport(target, options);
    case "file":
      return new FileTransport(target);
  }
}

export function transportFor(spec: string, options?: MemberOptionsInput): Transport {
  return createTransport(resolveMember(spec, options));
}

export { FileTransport, RuntimeApiTransport };
export type { ServerStateAction, StatsQuery, StatsRowType, Transport, Weight } from "./types";
