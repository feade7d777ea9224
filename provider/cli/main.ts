#!/usr/bin/env node
// The `haproxy-cluster` command: parses the command line, loads only the command asked
// for (and through it only the library parts it needs; never @pulumi/pulumi), runs it
// and exits with a Nagios code: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.

import { parseCommandLine, type CommandSpec } from "./args";
import type { Context } from "./context";
import { Exit, UsageError, exitCodeFor, type ExitCode, type SignalExitCode } from "./exit";
import { commandHelp, mainHelp } from "./help";
import { Output } from "./output";
import { loadCommand, packageVersion, specFor } from "./registry";

async function main(argv: string[]): Promise<{ code: ExitCode | SignalExitCode; out: Output }> {
  let out = new Output({ quiet: argv.includes("--quiet") || argv.includes("-q") });
  let spec: CommandSpec | undefined;
  let ctx: Context | undefined;
  try {
    const line = parseCommandLine(argv, specFor);
    out = new Output({ quiet: line.values.quiet === true, verbose: line.values.verbose === true });
    spec = line.command !== undefined ? specFor(line.command) : undefined;
    if (line.values.version === true && !spec) {
      out.data(packageVersion());
      return { code: Exit.OK, out };
    }
    if (!spec) {
      if (line.values.help === true) {
        out.data(mainHelp());
        return { code: Exit.OK, out };
      }
      out.error(`no command given.\n\n${mainHelp()}`);
      return { code: Exit.UNKNOWN, out };
    }
    if (line.values.help === true) {
      out.data(commandHelp(spec));
      return { code: Exit.OK, out };
    }
    const { Context } = require("./context") as typeof import("./context");
    ctx = Context.create(spec, line.values, line.positionals, out, line.trailing);
    if (ctx.flag("insecure-skip-tls-verify")) {
      out.warn("--insecure-skip-tls-verify: https certificates are not verified; anyone on the network path can read the stats password and change servers.");
    }
    return { code: await loadCommand(spec.name).run(ctx), out };
  } catch (error) {
    return { code: report(error, out, spec), out };
  } finally {
    await ctx?.close();
  }
}

/** One plain sentence on stderr (and the plugin line for `check`); the exit code follows the error's code. */
function report(error: unknown, out: Output, spec: CommandSpec | undefined): ExitCode {
  // The library's input checks throw RangeError (a bad weight or name): a spec error.
  const code = typeof (error as { code?: unknown } | undefined)?.code === "string" ? (error as { code: string }).code : error instanceof RangeError ? "HC_BAD_SPEC" : undefined;
  // Library errors carry an HC_* code; the CLI's own are UsageErrors. Both are for people.
  const known = error instanceof UsageError || (code !== undefined && code.startsWith("HC_"));
  let message = known ? (error as Error).message : `internal error: ${error instanceof Error ? error.message : String(error)}; please report it (--verbose shows where).`;
  // A bad argument found below the command line is still a usage error.
  if (code === "HC_BAD_SPEC" && spec && (error as { details?: { member?: string } }).details?.member === undefined) message = `${message.replace(/\.$/, "")}; run haproxy-cluster ${spec.name} --help for the usage.`;
  // A bug the library caught (HC_INTERNAL) keeps the original error as its cause: that stack is where it happened.
  const bug = !known ? error : code === "HC_INTERNAL" ? (error as { cause?: unknown }).cause : undefined;
  const exit = exitCodeFor(error);
  if (spec?.name === "check") {
    const { statusLine } = require("./commands/check") as typeof import("./commands/check");
    out.data(statusLine(exit, message));
  }
  out.error(message);
  if (bug instanceof Error) out.detail(bug.stack ?? "");
  return exit;
}

if (process.argv.includes("--debug-modules")) {
  process.on("exit", () => {
    for (const file of Object.keys(require.cache)) process.stderr.write(`module: ${file}\n`);
  });
}

const startedAt = Date.now();
const argv = process.argv.slice(2);
// `haproxy-cluster help [COMMAND]` is `haproxy-cluster [COMMAND] --help`.
if (argv[0] === "help") argv.splice(0, 1, "--help");

main(argv).then(
  async ({ code, out }) => {
    out.detail(`haproxy-cluster: exit ${code} after ${Date.now() - startedAt} ms`);
    await out.flush();
    process.exit(code);
  },
  (error: unknown) => {
    process.stderr.write(`internal error: ${String(error)}\n`);
    process.exit(Exit.UNKNOWN);
  },
);
