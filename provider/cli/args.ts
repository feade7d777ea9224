// Command-line parsing with node:util parseArgs: global options anywhere, the verb, its
// own options after it, members from arguments, --members-file or HAPROXY_CLUSTER_MEMBERS.

import * as fs from "node:fs";
import { parseArgs, type ParseArgsConfig } from "node:util";
import { DEFAULTS } from "../policy";
import { checkName, type NameKind } from "../input-rules";
import { UsageError } from "./exit";

export type OptionSpec = NonNullable<ParseArgsConfig["options"]>;
export type OptionValues = Record<string, string | boolean | string[] | boolean[] | undefined>;

export const GLOBAL_OPTIONS = {
  help: { type: "boolean", short: "h" },
  version: { type: "boolean" },
  quiet: { type: "boolean", short: "q" },
  verbose: { type: "boolean", short: "v" },
  eval: { type: "string", short: "e" },
  "members-file": { type: "string" },
  user: { type: "string" },
  "password-file": { type: "string" },
  "request-timeout": { type: "string" },
  ca: { type: "string" },
  "insecure-skip-tls-verify": { type: "boolean" },
  "ssh-identity": { type: "string" },
  "ssh-known-hosts": { type: "string" },
  "ssh-jump": { type: "string" },
  "dangerously-accept-unknown-host-key": { type: "boolean" },
  "master-socket": { type: "boolean" },
  "no-master-socket": { type: "boolean" },
  // Hidden: prints every loaded module at exit (proves the CLI never loads @pulumi/pulumi).
  "debug-modules": { type: "boolean" },
} as const satisfies OptionSpec;

/** The global options that say how to reach members: a command printed for the user to run next carries them as given. */
export const MEMBER_OPTIONS = [
  "user",
  "password-file",
  "request-timeout",
  "ca",
  "insecure-skip-tls-verify",
  "ssh-identity",
  "ssh-known-hosts",
  "ssh-jump",
  "dangerously-accept-unknown-host-key",
  "master-socket",
  "no-master-socket",
] as const satisfies ReadonlyArray<keyof typeof GLOBAL_OPTIONS>;

export const GLOBAL_HELP = `Members (every command):
  MEMBER...                   http(s)://host:port/stats, unix:/path.sock, /path.sock,
                              tcp://host:port, ssh://[user@]host[:port]/path.sock
                              or file:/path.csv (a master socket, -S, is detected)
  --members-file FILE         one member per line; # comments and blank lines ignored
                              (without MEMBER and --members-file: $HAPROXY_CLUSTER_MEMBERS,
                              comma or white-space separated)
  --user USER                 stats page user (else from the URL or $HAPROXY_CLUSTER_USER)
  --password-file FILE        stats page password, first line of FILE (else from the URL or
                              $HAPROXY_CLUSTER_PASSWORD); there is no --password flag on
                              purpose: it would land in shell history and ps output
  --request-timeout SECONDS   deadline for one request to one member (default ${DEFAULTS.requestTimeoutSeconds})
  --ca FILE                   PEM CA certificate(s) to trust for https members
  --insecure-skip-tls-verify  do not verify https certificates (anyone on the path can
                              then read the password and change servers)
  --ssh-identity FILE         ssh members: private key file (else $HAPROXY_CLUSTER_SSH_IDENTITY;
                              the agent at $SSH_AUTH_SOCK is tried too); its passphrase
                              only from $HAPROXY_CLUSTER_SSH_PASSPHRASE(_FILE), never a flag
  --ssh-known-hosts FILE      ssh members: known_hosts to verify host keys against
                              (else $HAPROXY_CLUSTER_SSH_KNOWN_HOSTS, else ~/.ssh/known_hosts)
  --ssh-jump [USER@]HOST[:PORT]  ssh members: go through this bastion (ProxyJump)
  --dangerously-accept-unknown-host-key  ssh members: accept a host key known_hosts lacks
                              (first contact in throwaway set-ups; a changed key is refused)
  --master-socket, --no-master-socket  Runtime API members are (or are not) HAProxy's
                              master CLI (-S); without either, it is detected from its answers

Output:
  -q, --quiet                 no progress on stderr (errors and warnings still shown)
  -v, --verbose               more detail on stderr
  -h, --help                  this help
  --version                   print the version`;

/** What a command module declares; its code is loaded only when it runs. */
export interface CommandSpec {
  name: string;
  summary: string;
  /** Full help text, without the global part. */
  usage: string;
  options: OptionSpec;
  /** For `eval`: the first positional is CODE, not a member. */
  takesCode?: boolean;
  /** Everything after a `--` following the verb is a command to run (`drain … -- COMMAND`). */
  takesCommand?: boolean;
  /** True when `--timeout` means the deadline of a wait, not of one request. */
  timeoutIsDeadline?: boolean;
}

export interface CommandLine {
  /** The verb, `eval` for `-e CODE`, or undefined (global --help/--version, or nothing). */
  command?: string;
  values: OptionValues;
  positionals: string[];
  /** What followed `--` after the verb, for commands that run one (`takesCommand`). */
  trailing?: string[];
}

const VALUE_OPTIONS = new Set(
  Object.entries(GLOBAL_OPTIONS).flatMap(([name, o]) => (o.type === "string" ? [`--${name}`, ...("short" in o ? [`-${o.short}`] : [])] : [])),
);

/** Index of the verb: the first argument that is neither an option nor a global option's value. */
function findVerb(argv: readonly string[]): number {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") return i + 1 < argv.length ? i + 1 : -1;
    if (arg.startsWith("-") && arg !== "-") {
      if (VALUE_OPTIONS.has(arg)) i++;
      continue;
    }
    return i;
  }
  return -1;
}

/**
 * Splits argv into verb, options and positionals. `specFor` returns the spec of a known
 * command; an unknown verb is a usage error unless `-e CODE` makes every positional a member.
 */
export function parseCommandLine(argv: readonly string[], specFor: (name: string) => CommandSpec | undefined): CommandLine {
  refuseSecretsOnCommandLine(argv);
  const at = findVerb(argv);
  let command = at >= 0 ? argv[at] : undefined;
  let spec = command !== undefined ? specFor(command) : undefined;
  let rest = at >= 0 && spec ? [...argv.slice(0, at), ...argv.slice(at + 1)] : [...argv];
  let trailing: string[] | undefined;
  const dashes = spec?.takesCommand ? rest.indexOf("--", at) : -1;
  if (dashes >= 0) {
    trailing = rest.slice(dashes + 1);
    rest = rest.slice(0, dashes);
  }
  if (command !== undefined && !spec) {
    const quick = parse(rest, GLOBAL_OPTIONS, "haproxy-cluster", false);
    if (quick.values.eval === undefined) {
      throw new UsageError(`unknown command ${JSON.stringify(command)}; run haproxy-cluster --help for the list of commands.`);
    }
    command = undefined;
  }
  const options = { ...GLOBAL_OPTIONS, ...(spec?.options ?? {}) };
  const parsed = parse(rest, options, spec ? `haproxy-cluster ${spec.name}` : "haproxy-cluster", true);
  if (parsed.values.eval !== undefined) {
    if (spec) throw new UsageError(`give either a command (${spec.name}) or --eval CODE, not both.`);
    spec = specFor("eval");
    command = "eval";
    parsed.positionals.unshift(String(parsed.values.eval));
  }
  return { command, values: parsed.values, positionals: parsed.positionals, trailing };
}

function parse(args: string[], options: OptionSpec, who: string, strict: boolean): { values: OptionValues; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({ args, options, allowPositionals: true, strict });
    return { values: values as OptionValues, positionals };
  } catch (error) {
    throw new UsageError(describeParseError(error, who));
  }
}

/** parseArgs messages quote the whole argument (`--foo=value`): name the option only. */
function describeParseError(error: unknown, who: string): string {
  const e = error as { code?: string; message?: string };
  const option = /'(-{1,2}[^'=\s]*)/.exec(e.message ?? "")?.[1] ?? "an option";
  const help = `run ${who} --help for the options`;
  switch (e.code) {
    case "ERR_PARSE_ARGS_UNKNOWN_OPTION":
      return `unknown option ${option}; ${help}.`;
    case "ERR_PARSE_ARGS_INVALID_OPTION_VALUE":
      if (/argument missing/.test(e.message ?? "")) return `option ${option} needs a value; ${help}.`;
      // `--timeout -1`: parseArgs will not take a value that looks like an option.
      if (/ambiguous/.test(e.message ?? "")) return `option ${option} got a value starting with "-", which it does not take as a value; write ${option}=VALUE if you meant one (negative numbers are never valid here).`;
      return `option ${option} takes no value; ${help}.`;
    default:
      return `cannot read the command line; ${help}.`;
  }
}

function refuseSecretsOnCommandLine(argv: readonly string[]): void {
  for (const arg of argv) {
    if (arg === "--") break;
    if (/^--password(=|$)/.test(arg)) {
      throw new UsageError("there is no --password option (it would be kept in shell history); set HAPROXY_CLUSTER_PASSWORD or use --password-file FILE.");
    }
  }
}

/** A number option; undefined when absent. */
export function numberOption(values: OptionValues, name: string, limits: { min?: number; max?: number; integer?: boolean; above?: number } = {}): number | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const text = String(raw).trim();
  const value = Number(text);
  const kind = limits.integer ? "a whole number" : "a number";
  const range =
    limits.above !== undefined
      ? ` above ${limits.above}`
      : limits.min !== undefined && limits.max !== undefined
        ? ` from ${limits.min} to ${limits.max}`
        : limits.min !== undefined
          ? ` of at least ${limits.min}`
          : "";
  const ok =
    text !== "" &&
    Number.isFinite(value) &&
    (!limits.integer || Number.isInteger(value)) &&
    (limits.min === undefined || value >= limits.min) &&
    (limits.max === undefined || value <= limits.max) &&
    (limits.above === undefined || value > limits.above);
  if (!ok) throw new UsageError(`--${name} must be ${kind}${range}, not ${JSON.stringify(text)}.`);
  return value;
}

export function stringList(values: OptionValues, name: string): string[] {
  const raw = values[name];
  if (raw === undefined) return [];
  return (Array.isArray(raw) ? raw : [raw]).map(String);
}

/** Options that name a HAProxy proxy or server, checked by the library's one rule before any member is asked. */
const NAME_OPTIONS: Record<string, NameKind> = { backend: "backend", server: "server", proxy: "frontend or backend" };

export function checkNameOptions(values: OptionValues): void {
  for (const [option, kind] of Object.entries(NAME_OPTIONS)) for (const name of stringList(values, option)) checkName(name, kind, `--${option}`);
}

export function requireOne(values: OptionValues, name: string, command: string): string {
  const list = stringList(values, name);
  if (list.length === 0) throw new UsageError(`${command} needs --${name}; run haproxy-cluster ${command} --help.`);
  if (list.length > 1) throw new UsageError(`${command} takes one --${name}, got ${list.length}.`);
  return list[0]!;
}

/**
 * Member specs: arguments and --members-file together, else $HAPROXY_CLUSTER_MEMBERS.
 * A members file that names no member (a template never filled in, a generator that
 * failed) is refused: falling back to the environment would act on another cluster.
 */
export function memberSpecs(positionals: readonly string[], membersFile: string | undefined, env: NodeJS.ProcessEnv = process.env): string[] {
  const specs = [...positionals];
  if (membersFile !== undefined) {
    const listed = readMembersFile(membersFile);
    if (listed.length === 0) throw new UsageError(`--members-file ${membersFile} names no member (it is empty or only comments); list the members in it, or drop the option.`);
    specs.push(...listed);
  }
  if (specs.length > 0) return specs;
  return (env.HAPROXY_CLUSTER_MEMBERS ?? "").split(/[\s,]+/).filter((s) => s !== "");
}

function readMembersFile(file: string): string[] {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (error) {
    throw new UsageError(`cannot read --members-file ${file} (${(error as NodeJS.ErrnoException).code ?? String(error)}); check the path.`);
  }
  return text
    .split(/\r?\n/)
    .map((line) => line.replace(/(^|\s)#.*$/, "").trim())
    .filter((line) => line !== "");
}

/** The first line of --password-file. */
export function readPasswordFile(file: string): string {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (error) {
    throw new UsageError(`cannot read --password-file ${file} (${(error as NodeJS.ErrnoException).code ?? String(error)}); check the path and its permissions.`);
  }
  return text.split(/\r?\n/)[0]!;
}
