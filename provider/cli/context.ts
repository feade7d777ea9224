// What every command gets: its options, an Output, and the cluster built from the member
// specs and the member options. The library is loaded here, on first use, never before.

import type { Cluster } from "../cluster/cluster";
import { passwordInUrl, withoutPassword } from "../member/redact";
import { DEFAULT_REQUEST_TIMEOUT_SECONDS, type MemberOptionsInput } from "../member/options";
import { MEMBER_OPTIONS, checkNameOptions, memberSpecs, numberOption, readPasswordFile, type CommandSpec, type OptionValues } from "./args";
import { UsageError } from "./exit";
import type { Output } from "./output";

export class Context {
  #cluster?: Cluster;

  constructor(
    readonly spec: CommandSpec,
    readonly values: OptionValues,
    /** Positionals that are not members (eval's CODE). */
    readonly args: string[],
    readonly members: string[],
    readonly out: Output,
    /** The command after `--` (`drain … -- COMMAND`), when one was given. */
    readonly trailing?: string[],
    /** The members given as arguments, as typed (with --members-file, the file's are not among them). */
    readonly memberArguments: string[] = members,
  ) {}

  static create(spec: CommandSpec, values: OptionValues, positionals: string[], out: Output, trailing?: string[]): Context {
    const args = spec.takesCode ? positionals.slice(0, 1) : [];
    const rest = spec.takesCode ? positionals.slice(1) : positionals;
    // A name HAProxy cannot have is the argument's fault: say so before any member is asked.
    checkNameOptions(values);
    const members = memberSpecs(rest, values["members-file"] as string | undefined);
    for (const m of members) out.addSecret(passwordInUrl(m));
    // The process list shows every argument to every user of the machine.
    if (rest.some((m) => passwordInUrl(m) !== undefined)) {
      out.warn("a member URL on the command line holds a password, which other users can read in `ps`; put it in HAPROXY_CLUSTER_PASSWORD or --password-file FILE (with --user), or the URL in --members-file.");
    }
    out.addSecret(process.env.HAPROXY_CLUSTER_PASSWORD);
    return new Context(spec, values, args, members, out, trailing, rest);
  }

  flag(name: string): boolean {
    return this.values[name] === true;
  }

  get json(): boolean {
    return this.flag("json");
  }

  /**
   * `haproxy-cluster WORDS…` with this command's member options and members as the user
   * gave them (`--members-file FILE` stays a file), quoted for a shell and with no
   * password: a command to print for a person to run next, such as the way back.
   */
  commandFor(words: readonly string[]): string {
    const options = MEMBER_OPTIONS.flatMap((name) => {
      const value = this.values[name];
      return value === true ? [`--${name}`] : typeof value === "string" ? [`--${name}`, value] : [];
    });
    const file = this.values["members-file"];
    const given = file !== undefined ? ["--members-file", String(file), ...this.memberArguments] : this.memberArguments.length > 0 ? this.memberArguments : this.members;
    const members = given.map(withoutPassword);
    const line = ["haproxy-cluster", ...words, ...options, ...members].map(shellWord).join(" ");
    return members.some((m, i) => m !== given[i]) ? `${line} (with the password in HAPROXY_CLUSTER_PASSWORD or --password-file)` : line;
  }

  /** Member options from the global flags. */
  memberOptions(): MemberOptionsInput {
    const options: MemberOptionsInput = {};
    // `--timeout` is one request's deadline, except where it is a wait's: then no request outlasts the wait.
    const timeout = numberOption(this.values, "timeout", { above: 0 });
    let requestTimeout = numberOption(this.values, "request-timeout", { above: 0 });
    if (requestTimeout === undefined && timeout !== undefined) requestTimeout = this.spec.timeoutIsDeadline ? Math.min(timeout, DEFAULT_REQUEST_TIMEOUT_SECONDS) : timeout;
    if (requestTimeout !== undefined) options.requestTimeoutSeconds = requestTimeout;
    if (this.values.user !== undefined) options.username = String(this.values.user);
    if (this.values["password-file"] !== undefined) {
      options.password = readPasswordFile(String(this.values["password-file"]));
      this.out.addSecret(options.password);
    }
    if (this.values.ca !== undefined) options.caFile = String(this.values.ca);
    if (this.flag("insecure-skip-tls-verify")) options.dangerouslySkipTlsVerify = true;
    if (this.values["ssh-identity"] !== undefined) options.sshIdentityFile = String(this.values["ssh-identity"]);
    if (this.values["ssh-known-hosts"] !== undefined) options.sshKnownHostsFile = String(this.values["ssh-known-hosts"]);
    if (this.values["ssh-jump"] !== undefined) options.sshJump = String(this.values["ssh-jump"]);
    if (this.flag("dangerously-accept-unknown-host-key")) options.dangerouslyAcceptUnknownHostKey = true;
    if (this.flag("master-socket") && this.flag("no-master-socket")) throw new UsageError("give --master-socket or --no-master-socket, not both.");
    if (this.flag("master-socket") || this.flag("no-master-socket")) options.masterSocket = this.flag("master-socket");
    this.out.addSecret(process.env.HAPROXY_CLUSTER_SSH_PASSPHRASE);
    return options;
  }

  /** The cluster over the given members; a usage error when none was given. */
  async cluster(): Promise<Cluster> {
    if (this.#cluster) return this.#cluster;
    if (this.members.length === 0) {
      throw new UsageError(`${this.spec.name} needs members: give them as arguments, with --members-file FILE, or in HAPROXY_CLUSTER_MEMBERS.`);
    }
    const options = this.memberOptions();
    const { Cluster } = await import("../cluster/cluster");
    this.#cluster = new Cluster(this.members, options);
    return this.#cluster;
  }

  /** Frees connection pools so the process can end. */
  async close(): Promise<void> {
    await this.#cluster?.close().catch(() => undefined);
  }
}

/** A word as a POSIX shell reads it back unchanged: bare when it is plain, else in single quotes. */
function shellWord(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
