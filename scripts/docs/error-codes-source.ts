// Where docs/errors.md takes each HC_* code's meaning and advice from. Kept apart so that
// the source is one line: today the codes are read from provider/errors.ts (the
// `HcErrorCode` union) and described by ERROR_DOCS below; once provider/error-codes.ts
// (the one table of codes: meaning, retry or final in a wait, exit status, advice) is on
// main, `errorCodeDocs` returns that table instead and ERROR_DOCS goes.

import ts from "typescript";
import type { HcErrorCode } from "../../provider/errors";
import { source } from "./fragments";

export interface ErrorCodeDoc {
  code: HcErrorCode;
  /** When it happens. */
  meaning: string;
  /** What to do about it. */
  advice: string;
}

/** The codes in the order provider/errors.ts declares them, with the comment beside each. */
export function declaredCodes(): Array<{ code: string; comment: string }> {
  const file = ts.createSourceFile("errors.ts", source("provider/errors.ts"), ts.ScriptTarget.ES2022, true);
  const codes: Array<{ code: string; comment: string }> = [];
  const visit = (node: ts.Node): void => {
    if (ts.isTypeAliasDeclaration(node) && node.name.text === "HcErrorCode" && ts.isUnionTypeNode(node.type)) {
      for (const member of node.type.types) {
        if (!ts.isLiteralTypeNode(member) || !ts.isStringLiteral(member.literal)) continue;
        const ranges = ts.getTrailingCommentRanges(file.text, member.end + (file.text[member.end] === ";" ? 1 : 0)) ?? [];
        const comment = ranges.map((r) => file.text.slice(r.pos, r.end).replace(/^\/\/\s?/, "")).join(" ");
        codes.push({ code: member.literal.text, comment });
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return codes;
}

/** Meaning and advice per code, until provider/error-codes.ts holds them (typed: a new code without an entry fails the build). */
const ERROR_DOCS: Record<HcErrorCode, Omit<ErrorCodeDoc, "code">> = {
  HC_BAD_SPEC: {
    meaning: "a member spec, option or argument that cannot be used (a weight of 999, a backend name with a space, a password in a Pulumi member URL, a wrong master-socket override); found before any member is asked",
    advice: "fix the argument the message names; the CLI's `COMMAND --help` gives the usage",
  },
  HC_MEMBER_UNREACHABLE: {
    meaning: "connection refused, socket missing, host not found, untrusted certificate; a master whose current worker is gone",
    advice: "check that HAProxy runs and the spec points at it (address, socket path, `stats socket` line, certificate: `--ca`); a master without a current worker needs HAProxy restarted",
  },
  HC_MEMBER_TIMEOUT: {
    meaning: "no complete answer before the deadline of one request (`--request-timeout`, `requestTimeoutSeconds`, default 5 s)",
    advice: "check the member's load and the network path, or raise the request deadline",
  },
  HC_AUTH_FAILED: {
    meaning: "401/403 from the stats page; an SSH server refusing the user with every key offered",
    advice: "check the user and password (`HAPROXY_CLUSTER_USER`, `HAPROXY_CLUSTER_PASSWORD`, `--password-file`), or the SSH key and agent",
  },
  HC_HOST_KEY: {
    meaning: "an SSH host key known_hosts does not vouch for: unknown, changed or `@revoked` (the message names the SHA256 fingerprint)",
    advice: "verify the fingerprint out of band and add it to known_hosts (`--ssh-known-hosts`); `--force` does not help. `--dangerously-accept-unknown-host-key` accepts an unknown key for first contact in throwaway set-ups; a changed key is refused anyway",
  },
  HC_NOT_ADMIN: {
    meaning: "a socket below `level admin`, a stats page without `stats admin`",
    advice: "give the socket `level admin` (`stats socket … level admin`) or the stats page `stats admin if …`; reads still work",
  },
  HC_BAD_STATS: {
    meaning: "not statistics CSV: HTML, a login form, a truncated or empty answer",
    advice: "check that the URL is the stats page (`stats uri`) or the socket HAProxy's Runtime API",
  },
  HC_TOO_LARGE: {
    meaning: "the answer exceeded `maxResponseBytes` (default 64 MiB)",
    advice: "read one backend (`--backend`), or raise `maxResponseBytes`",
  },
  HC_UNKNOWN_BACKEND: {
    meaning: "a backend a member does not have; checked before anything changes",
    advice: "check the name (`haproxy-cluster status` lists them) and that every member has the same configuration",
  },
  HC_UNKNOWN_SERVER: {
    meaning: "a server its backend does not have on a member; checked before anything changes",
    advice: "check the name (`haproxy-cluster status --backend B` lists them)",
  },
  HC_ACTION_REFUSED: {
    meaning: "HAProxy answered an action with anything but success (`PART`, `ERRP`, …); the stats page cannot set weights",
    advice: "read HAProxy's reply in the message; for `weight` use a Runtime API member",
  },
  HC_READ_ONLY: {
    meaning: "an action on a `file:` member",
    advice: "act on a live member (stats page or Runtime API)",
  },
  HC_WAIT_DEADLINE: {
    meaning: "a wait ran out of time; the message names each member and backend that held it back, with its last numbers",
    advice: "see why those servers do not serve (`haproxy-cluster status`), or give the wait more time (`--timeout`, `timeoutSeconds`)",
  },
  HC_CAPACITY_GUARD: {
    meaning: "a drain or maint refused because, after it, fewer than `minOtherServing` other servers would keep serving on some member (or a member could not be read): nothing changed",
    advice: "wait for the backend to recover, or set `force` (`--force`) to take the servers out anyway; when a member could not be read, make it readable first (`--force` does not)",
  },
  HC_PULUMI_MISSING: {
    meaning: "a Pulumi resource read from the package root where `@pulumi/pulumi` is not installed",
    advice: "install it in the project (`npm install @pulumi/pulumi`): it is a peer dependency",
  },
  HC_ANALYSIS_FAILED: {
    meaning: "a gate's analysis found a regression, or too little traffic to judge (`details.verdicts`)",
    advice: "read the verdict in the message; with `onFailure: drain` the server is already out of rotation. Roll back, or for too little traffic raise the bake window or set `onNotEnoughTraffic`",
  },
  HC_COMMAND_FAILED: {
    meaning: "a RollingRestart's restart command exited nonzero, was ended by a signal, or overran `commandTimeoutSeconds` (`details.failed`)",
    advice: "read the command's output in the `pulumi up` log (lines prefixed `[server]`); the server stays drained and listed in `drainedServers`. Fix the app, then run `pulumi up` again: it restarts that server first and carries on",
  },
  HC_PARTIAL_FAILURE: {
    meaning: "worked on some members only (`failures`, `succeeded`); the message says where the change applied",
    advice: "fix the failing members and run the command again, or undo the change where it applied, as the message says",
  },
};

/** Every code with its meaning and advice, in declaration order. The one line to switch to provider/error-codes.ts. */
export function errorCodeDocs(): ErrorCodeDoc[] {
  return declaredCodes().map(({ code }) => ({ code: code as HcErrorCode, ...ERROR_DOCS[code as HcErrorCode] }));
}
