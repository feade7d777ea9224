// After a deploy: is every server on the new version? Asked three ways: HAProxy (every
// member shows every server UP on a passed check, in rotation), each app directly, and
// requests through each frontend (every server must answer 200 with the new version).
import { request } from "undici";
import type { HaproxyInstance } from "../../test/support/haproxy";
import { appProcess, type AppSpec } from "./apps";
import { waitAllServing } from "./haproxy";

export interface VersionCheck {
  ok: boolean;
  /** What is wrong: a server not serving, not answering 200, or on another version. */
  problems: string[];
  /** What was seen when all is well. */
  notes: string[];
  /** What each app answered directly: `server1 v2 (200)`. */
  direct: string[];
}

export async function checkVersion(lbs: readonly HaproxyInstance[], apps: readonly AppSpec[], version: string, settleTimeoutMs: number): Promise<VersionCheck> {
  const problems: string[] = [];
  const notes: string[] = [];
  try {
    await waitAllServing(lbs, apps, settleTimeoutMs);
    notes.push(`HAProxy: ${apps.length}/${apps.length} servers UP (L7OK) on ${lbs.map((lb) => lb.name).join(" and ")}`);
  } catch (error) {
    problems.push(`HAProxy: not every server is serving on every member within ${settleTimeoutMs} ms: ${(error as Error).message.split("\n")[0]}`);
  }

  const direct: string[] = [];
  for (const app of apps) {
    const answer = await appProcess.probe("127.0.0.1", app.port);
    direct.push(answer ? `${answer.servedBy} ${answer.version} (${answer.status})` : `${app.name}: nothing answers on ${app.port}`);
    if (!answer || answer.status !== 200 || answer.version !== version) problems.push(`directly: ${app.name} on port ${app.port} answers ${answer ? `${answer.status} as ${answer.version}` : "nothing"}, expected 200 from ${version}`);
  }

  const through = await checkFrontends(lbs, apps.map((a) => a.name), version);
  problems.push(...through.problems);
  notes.push(...through.notes);
  return { ok: problems.length === 0, problems: [...new Set(problems)], notes, direct };
}

/** Requests through each member's frontend: every one of `servers` must answer 200 with `version`, and only those. */
export async function checkFrontends(lbs: readonly HaproxyInstance[], servers: readonly string[], version: string): Promise<{ problems: string[]; notes: string[] }> {
  const problems: string[] = [];
  const notes: string[] = [];
  for (const lb of lbs) {
    const seen = new Map<string, string>();
    // Round-robin: 4 rounds over the servers reach each one several times.
    for (let i = 0; i < servers.length * 4; i++) {
      try {
        const answer = await request(`${lb.frontendUrl}/`, { signal: AbortSignal.timeout(2000) });
        await answer.body.text();
        const who = String(answer.headers["x-served-by"] ?? "HAProxy");
        const got = `${answer.statusCode} ${answer.headers["x-app-version"] ?? "-"}`;
        if (answer.statusCode !== 200 || answer.headers["x-app-version"] !== version) problems.push(`through ${lb.name}: ${who} answered ${got}, expected 200 ${version}`);
        seen.set(who, got);
      } catch (error) {
        problems.push(`through ${lb.name}: ${(error as Error).message}`);
      }
    }
    const missing = servers.filter((name) => !seen.has(name));
    if (missing.length > 0) problems.push(`through ${lb.name}: ${missing.join(", ")} never answered in ${servers.length * 4} requests`);
    else notes.push(`through ${lb.name}: ${[...seen].map(([who, got]) => `${who} ${got}`).join(", ")}`);
  }
  return { problems, notes };
}
