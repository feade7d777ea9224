// Servers added at run time, as `add server` takes them: the one home of the line that
// adds a server with its health checks, used by add-server and by a hold that finds a
// reload forgot such a server (every release measured forgets it, docs/servers-at-run-time.md)
// and adds it again with the same address and checks.

import { HcError } from "../errors";
import type { Member } from "../model/member";
import type { Server } from "../model/server";
import { DEFAULTS } from "../policy";

/** What `add server` is given for one server: enough to add it again after a reload. */
export interface RuntimeServer {
  backend: string;
  server: string;
  /** `HOST:PORT` (`[IPv6]:PORT`), as `add server` and the stats `addr` column write it. */
  address: string;
  /** The arguments after the address (`check inter 2000 rise 2 fall 3 weight 1`); empty: no checks, HAProxy's weight. */
  settings: string;
}

/**
 * The `add server` arguments after the address: `check` with the rise and fall `checked`
 * shows (stats `check_rise`, `check_fall`; none when it has no checks) and `inter
 * intervalMs` (the Runtime API shows no server's interval), then the weight if given.
 */
export function addSettings(checked: Pick<Server, "rise" | "fall"> | undefined, intervalMs: number, weight: number | undefined): string {
  const check = checked?.rise !== undefined && checked.fall !== undefined ? `check inter ${intervalMs} rise ${checked.rise} fall ${checked.fall}` : "";
  return [check, weight !== undefined ? `weight ${weight}` : ""].filter(Boolean).join(" ");
}

/**
 * The server as a read shows it, to be added again: its address, its own rise, fall and
 * configured weight, and `intervalMs` (default {@link DEFAULTS.addedServerCheckIntervalMs}).
 * Undefined when the read shows no address (a stats page without the `addr` column).
 */
export function asRead(backend: string, server: Server, intervalMs = DEFAULTS.addedServerCheckIntervalMs): RuntimeServer | undefined {
  const address = server.cell("addr");
  if (!address) return undefined;
  return { backend, server: server.name, address, settings: addSettings(server.hasHealthCheck ? server : undefined, intervalMs, server.userWeight) };
}

/**
 * Adds the server on one member, in maintenance (HAProxy's way on every release
 * measured), and starts its health checks: `add server … check` leaves them configured
 * but idle (`srv_check_state` 2), so without `enable health` it would enter rotation on
 * no check at all. HC_SERVER_EXISTS when the name is taken, HC_ACTION_REFUSED with
 * HAProxy's reason otherwise.
 */
export async function addOnMember(member: Member, s: RuntimeServer): Promise<void> {
  const target = `${s.backend}/${s.server}`;
  const reply = await member.runtimeCommand(`add server ${target} ${s.address}${s.settings ? ` ${s.settings}` : ""}`);
  if (reply.trim() === "") {
    // The connection closed unanswered: whether HAProxy added it is unknown.
    throw new HcError("HC_MEMBER_UNREACHABLE", `${member.name}: no answer to adding ${target}; it may or may not be there: check with haproxy-cluster status.`, { member: member.name, backend: s.backend, server: s.server });
  }
  if (!/New server registered/i.test(reply)) {
    const code = /already exists/i.test(reply) ? "HC_SERVER_EXISTS" : "HC_ACTION_REFUSED";
    throw new HcError(code, `${member.name}: HAProxy refused to add ${target}: ${firstLine(reply)}`, { member: member.name, backend: s.backend, server: s.server });
  }
  if (!/^check\b/.test(s.settings)) return;
  const enabled = await member.runtimeCommand(`enable health ${target}`);
  if (enabled.trim() !== "") throw new HcError("HC_ACTION_REFUSED", `${member.name}: HAProxy refused to start the health checks of ${target}: ${firstLine(enabled)}`, { member: member.name, backend: s.backend, server: s.server });
}

/** `set server … addr … port …` on one member; HC_ACTION_REFUSED with HAProxy's reason. */
export async function setAddressOnMember(member: Member, backend: string, server: string, host: string, port: number): Promise<void> {
  const reply = await member.runtimeCommand(`set server ${backend}/${server} addr ${host} port ${port}`);
  if (!/changed|no need to change/i.test(reply)) {
    throw new HcError("HC_ACTION_REFUSED", `${member.name}: HAProxy refused the new address of ${backend}/${server}: ${firstLine(reply)}`, { member: member.name, backend, server });
  }
}

/** HAProxy's answer in one line, for messages. */
export function firstLine(reply: string): string {
  return reply.trim().split("\n")[0]!.trim() || "(an empty answer)";
}
