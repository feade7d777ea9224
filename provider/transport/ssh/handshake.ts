// One SSH session set up with one hop: TCP, key exchange, host key check, login. Each
// waits for a slot to its sshd (handshake-slots.ts); one the server dropped before the
// handshake began is tried again, a few times, within the request's deadline. Nothing
// else is retried: a refused login or host key is final.

import type { Duplex } from "node:stream";
import type { Client } from "ssh2";
import { HcError } from "../../errors";
import { agentProblem, authMethods, type SshAuth } from "./auth";
import { HANDSHAKES_PER_SSH_ENDPOINT, takeHandshakeSlot } from "./handshake-slots";
import type { KnownKey } from "./known-hosts";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const ssh2 = require("ssh2") as typeof import("ssh2");

/**
 * Attempts at a handshake the server dropped before it began (sshd's MaxStartups, which
 * other clients can fill), and the pause before the second; each later pause doubles,
 * plus up to as much again at random so that members dropped together do not return together.
 */
export const DROPPED_HANDSHAKE_ATTEMPTS = 4;
export const DROPPED_HANDSHAKE_PAUSE_MS = 100;

export interface Hop {
  host: string;
  port: number;
  user: string;
  /** What messages call it: the member, or the jump host of the member. */
  label: string;
}

/** What every handshake of one member needs. */
export interface Login {
  member: string;
  auth: SshAuth;
  /** How a refusal names the keys offered ("the SSH agent, key file ~/.ssh/id"). */
  keysOffered: string;
  /** known_hosts entries for a hop. */
  knownKeys(hop: Hop): readonly KnownKey[];
  /** Why the host key `key` shown by `hop` is refused, or undefined to trust it. */
  refuseHostKey(hop: Hop, known: readonly KnownKey[], key: Buffer): HcError | undefined;
}

type Ssh2Error = Error & { level?: string; code?: string };

/**
 * An SSH session with `hop`, authenticated, within `timeoutMs` all told (waiting for a
 * slot, attempts, pauses). `openSock` gives a fresh stream to the hop for each attempt
 * (a channel through a jump host); without it ssh2 opens TCP itself.
 */
export async function handshake(login: Login, hop: Hop, timeoutMs: number, openSock?: () => Promise<Duplex>): Promise<Client> {
  const deadlineAt = Date.now() + timeoutMs;
  const endpoint = `${hop.host}:${hop.port}`;
  for (let attempt = 1; ; attempt++) {
    const release = await takeHandshakeSlot(endpoint, deadlineAt);
    if (!release) {
      throw new HcError("HC_MEMBER_TIMEOUT", `${hop.label}: no SSH session with ${endpoint} within ${timeoutMs / 1000} s, still waiting behind other handshakes to that sshd (at most ${HANDSHAKES_PER_SSH_ENDPOINT} at a time): it answers slowly, or too many members share it; check that sshd, or raise the timeout.`, { member: login.member });
    }
    let pauseMs: number;
    try {
      const sock = openSock ? await openSock() : undefined;
      return await attemptHandshake(login, hop, timeoutMs, deadlineAt - Date.now(), sock);
    } catch (error) {
      if (!isDroppedHandshake(error)) throw error;
      pauseMs = DROPPED_HANDSHAKE_PAUSE_MS * 2 ** (attempt - 1) * (1 + Math.random());
      if (attempt >= DROPPED_HANDSHAKE_ATTEMPTS || Date.now() + pauseMs >= deadlineAt) {
        throw new HcError("HC_MEMBER_UNREACHABLE", `${hop.label}: sshd at ${endpoint} closed the connection before the SSH handshake began${attempt > 1 ? `, ${attempt} times in a row` : ""}; it drops new connections while too many are unauthenticated (MaxStartups in its sshd_config): try again, or raise MaxStartups there.`, { member: login.member, attempts: attempt }, { cause: error });
      }
    } finally {
      release();
    }
    await new Promise((resolve) => setTimeout(resolve, pauseMs));
  }
}

function isDroppedHandshake(error: unknown): boolean {
  return error instanceof HcError && error.details.droppedBeforeHandshake === true;
}

function attemptHandshake(login: Login, hop: Hop, timeoutMs: number, remainingMs: number, sock: Duplex | undefined): Promise<Client> {
  const known = login.knownKeys(hop);
  let hostKeyShown = false;
  let refusal: HcError | undefined;
  let agentFailure: Ssh2Error | undefined;
  const hostVerifier = (key: Buffer): boolean => {
    hostKeyShown = true;
    refusal = login.refuseHostKey(hop, known, key);
    return refusal === undefined;
  };
  const knownTypes = [...new Set(known.filter((k) => !k.revoked).map((k) => k.keyType))];
  return new Promise((resolve, reject) => {
    const client = new ssh2.Client();
    let settled = false;
    const fail = (error: HcError): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      client.end();
      reject(error);
    };
    const timer = setTimeout(() => {
      fail(new HcError("HC_MEMBER_TIMEOUT", `${hop.label}: no SSH session with ${hop.host}:${hop.port} within ${timeoutMs / 1000} s; check that sshd answers there, or raise the timeout.`, { member: login.member }));
    }, remainingMs);
    client.once("ready", () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(client);
    });
    // Listened to for the client's whole life: ssh2 emits more than one error for one
    // failure (an agent it cannot reach, then "All configured authentication methods
    // failed"), and an 'error' without a listener would end the process. After the
    // handshake a drop shows as "close", and the next command reopens.
    client.on("error", (error: Ssh2Error) => {
      if (settled) return;
      // ssh2 goes on to the next way to log in, if any: remembered for the message if all fail.
      if (error.level === "agent") {
        agentFailure = error;
        return;
      }
      fail(refusal ?? connectError(login, hop, error, { hostKeyShown, agentFailure }));
    });
    client.on("close", () => fail(new HcError("HC_MEMBER_UNREACHABLE", `${hop.label}: sshd at ${hop.host}:${hop.port} closed the connection during the SSH handshake; check its log (journalctl -u ssh).`, { member: login.member })));
    try {
      client.connect({
        host: hop.host,
        port: hop.port,
        username: hop.user,
        sock,
        // The decrypted key itself: given as bytes and passphrase, ssh2 would decrypt it again for every connection.
        authHandler: authMethods(hop.user, login.auth),
        hostVerifier,
        // Ask only for key types known_hosts has for this host, so that a host with an
        // RSA entry is not reported as "changed" for showing its ed25519 key.
        algorithms: knownTypes.length > 0 ? { serverHostKey: knownTypes as never } : undefined,
        readyTimeout: remainingMs,
        keepaliveInterval: 15_000,
      });
    } catch (error) {
      fail(connectError(login, hop, error as Error, { hostKeyShown, agentFailure }));
    }
  });
}

function connectError(login: Login, hop: Hop, error: Ssh2Error, seen: { hostKeyShown: boolean; agentFailure?: Ssh2Error }): HcError {
  if (error instanceof HcError) return error;
  const at = `${hop.host}:${hop.port}`;
  const make = (code: "HC_MEMBER_UNREACHABLE" | "HC_MEMBER_TIMEOUT" | "HC_AUTH_FAILED", text: string, extra: Record<string, unknown> = {}): HcError =>
    new HcError(code, `${hop.label}: ${text}`, { member: login.member, errno: error.code ?? error.level, ...extra }, { cause: error });
  if (error.level === "client-authentication") {
    const agent = seen.agentFailure && login.auth.agent ? agentProblem(login.auth.agent) : undefined;
    if (agent && !login.auth.key) {
      return make("HC_AUTH_FAILED", `cannot log in to ${at}: ${agent}; start an agent and add a key (ssh-add), point SSH_AUTH_SOCK at a running one, or give a key file (--ssh-identity, sshIdentityFile).`);
    }
    const offered = agent ? `${login.keysOffered}; ${agent}` : login.keysOffered;
    return make("HC_AUTH_FAILED", `the SSH server at ${at} refused user ${hop.user} with every key offered (${offered}); check the user name and that the public key is in that user's authorized_keys.`);
  }
  // sshd closed the connection before its identification line: MaxStartups drops a new
  // connection so ("Exceeded MaxStartups", then close), and the close may arrive as a reset.
  const lostBeforeHandshake = error.message === "Connection lost before handshake" || (!seen.hostKeyShown && (error.code === "ECONNRESET" || error.code === "EPIPE"));
  if (lostBeforeHandshake) return make("HC_MEMBER_UNREACHABLE", `sshd at ${at} closed the connection before the SSH handshake began; check its MaxStartups and its log.`, { droppedBeforeHandshake: true });
  if (error.level === "client-timeout") return make("HC_MEMBER_TIMEOUT", `no SSH handshake with ${at} in time; check that sshd answers there, or raise the timeout.`);
  if (error.code === "ECONNREFUSED") return make("HC_MEMBER_UNREACHABLE", `connection refused at ${at}; is sshd running there, on this port?`);
  if (error.code === "ENOTFOUND" || error.code === "EAI_AGAIN") return make("HC_MEMBER_UNREACHABLE", `host ${hop.host} not found; check the name.`);
  if (error.code === "EHOSTUNREACH" || error.code === "ENETUNREACH") return make("HC_MEMBER_UNREACHABLE", `host ${hop.host} unreachable; check the address and the network.`);
  return make("HC_MEMBER_UNREACHABLE", `SSH to ${at} failed (${error.message}); check the host and its sshd.`);
}
