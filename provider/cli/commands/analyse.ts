// `analyse`: watches one server's counters on every member for a bake window and judges
// it against its peers (error rate, response time): the bake (../bake.ts) on its own,
// which `ready --wait --bake-seconds` runs after putting a server back.

import { BAKE_EXIT, BAKE_HELP, BAKE_OPTIONS, bake, bakeRequest } from "../bake";
import { requireOne, type CommandSpec } from "../args";
import type { Context } from "../context";
import type { ExitCode } from "../exit";

export const spec: CommandSpec = {
  name: "analyse",
  summary: "judge a server's new version against its peers: error rate and response time",
  usage: `Usage: haproxy-cluster analyse --backend B --server S [--bake-seconds N] [threshold options]
                               [--json] MEMBER...

Watches the server's counters on every member for --bake-seconds and compares them
with its peers over the same window: its error rate against a ceiling and against the
peers', its mean response time against the peers'. Counters that go backwards (a
reload) count from zero again. Progress on stderr every few seconds; the verdict on
stderr (and as JSON on stdout with --json).

Options:
  --backend B          the backend
  --server S           the server to judge
${BAKE_HELP}
  --json               the verdict with every number as JSON on stdout

Exit status: ${BAKE_EXIT}.`,
  options: { backend: { type: "string" }, server: { type: "string" }, json: { type: "boolean" }, ...BAKE_OPTIONS },
};

export async function run(ctx: Context): Promise<ExitCode> {
  const backend = requireOne(ctx.values, "backend", "analyse");
  const server = requireOne(ctx.values, "server", "analyse");
  const request = bakeRequest(ctx, true)!;
  return bake(ctx, await ctx.cluster(), backend, server, request);
}
