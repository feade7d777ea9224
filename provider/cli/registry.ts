// The table of commands: each name and the module that holds its spec and code. Modules
// are loaded on first use, so a run loads only the command asked for; `--help`, the main
// help and the generated manual (docs/cli/) read the same specs from here.

import * as fs from "node:fs";
import * as path from "node:path";
import type { CommandSpec } from "./args";
import type { Context } from "./context";
import type { ExitCode, SignalExitCode } from "./exit";

export interface CommandModule {
  spec?: CommandSpec;
  specs?: CommandSpec[];
  run(ctx: Context): Promise<ExitCode | SignalExitCode>;
}

// Command modules hold their specs and help at top level and load the library inside run().
const MODULES: Record<string, () => CommandModule> = {
  status: () => require("./commands/status"),
  check: () => require("./commands/check"),
  wait: () => require("./commands/wait"),
  drain: () => require("./commands/actions"),
  maint: () => require("./commands/actions"),
  ready: () => require("./commands/actions"),
  enable: () => require("./commands/actions"),
  disable: () => require("./commands/actions"),
  weight: () => require("./commands/actions"),
  "shutdown-sessions": () => require("./commands/actions"),
  "add-server": () => require("./commands/servers"),
  "remove-server": () => require("./commands/servers"),
  "set-address": () => require("./commands/servers"),
  rate: () => require("./commands/numbers"),
  backlog: () => require("./commands/numbers"),
  sessions: () => require("./commands/numbers"),
  eval: () => require("./commands/eval"),
  watch: () => require("./commands/watch"),
  analyse: () => require("./commands/analyse"),
};

/** Every command name, in the order the main help lists them. */
export const COMMAND_NAMES: readonly string[] = Object.keys(MODULES);

export function loadCommand(name: string): CommandModule {
  return MODULES[name]!();
}

export function specFor(name: string): CommandSpec | undefined {
  if (!Object.prototype.hasOwnProperty.call(MODULES, name)) return undefined;
  const mod = loadCommand(name);
  return mod.spec ?? mod.specs?.find((s) => s.name === name);
}

/** The package's version, from its package.json (three levels above dist/provider/cli). */
export function packageVersion(): string {
  const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "..", "..", "package.json"), "utf8")) as { version: string };
  return pkg.version;
}
