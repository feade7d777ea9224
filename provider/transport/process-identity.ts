// Reads which HAProxy process answered, from the two places HAProxy says it: the Runtime
// API's `show info` and the stats page's HTML header (its CSV has no process fields).

import { HcError } from "../errors";
import type { ProcessIdentity } from "./types";

/** `show info` lines `Pid: 123`, `Start_time_sec: 1700000000`, `Uptime_sec: 42` (2.6 and later), `node: lb1`. */
export function parseShowInfo(member: string, reply: string, nowSeconds = Date.now() / 1000): ProcessIdentity {
  const field = (name: string): number | undefined => {
    const match = new RegExp(`^${name}: *(\\d+)\\s*$`, "m").exec(reply);
    return match ? Number(match[1]) : undefined;
  };
  const pid = field("Pid");
  const uptimeSeconds = field("Uptime_sec");
  if (pid === undefined || uptimeSeconds === undefined) {
    throw new HcError("HC_BAD_STATS", `${member}: \`show info\` has no Pid or Uptime_sec; this HAProxy version may be unsupported.`, { member });
  }
  const node = /^node: *(\S.*?)\s*$/m.exec(reply)?.[1];
  return { pid, uptimeSeconds, startedAtSeconds: field("Start_time_sec") ?? Math.round(nowSeconds - uptimeSeconds), ...(node !== undefined ? { node } : {}) };
}

/** The stats page's `<b>pid = </b> 123 (process #1, …)` and `<b>uptime = </b> 0d 0h00m05s`. */
export function parseStatsPageHeader(member: string, html: string, nowSeconds = Date.now() / 1000): ProcessIdentity {
  const pid = /pid = <\/b>\s*(\d+)/.exec(html);
  const uptime = /uptime = <\/b>\s*(\d+)d (\d+)h(\d+)m(\d+)s/.exec(html);
  if (!pid || !uptime) {
    throw new HcError("HC_BAD_STATS", `${member}: the stats page's header shows no pid and uptime; this HAProxy version may be unsupported.`, { member });
  }
  const [days, hours, minutes, seconds] = uptime.slice(1).map(Number) as [number, number, number, number];
  const uptimeSeconds = ((days * 24 + hours) * 60 + minutes) * 60 + seconds;
  return { pid: Number(pid[1]), uptimeSeconds, startedAtSeconds: Math.round(nowSeconds - uptimeSeconds) };
}
