// The one rule for state this project holds while a process of ours runs: a reload
// starts HAProxy again from its configuration, undoing a drain or maint and resetting
// health to its initial verdict. A hold remembers which process each member's state was
// applied on; when a later read shows another process answering (or counters gone back
// to zero), it applies the held state again on that member at once, with a warning
// naming the member and servers. A held server the reload forgot (one added at run time:
// no release keeps those) is added again first, with the same address and checks, and a
// held address (a filled server-template slot) is set again. The CLI, the library's waits
// and the Pulumi resources all hold through this class.

import type { HeldState } from "../action-table";
import { isUnreachable } from "../error-codes";
import { asHcError } from "../errors";
import type { Member, SnapshotOptions } from "../model/member";
import { splitAddress } from "../model/server";
import { reloadBetween } from "../model/reload";
import type { Snapshot } from "../model/snapshot";
import { DEFAULTS } from "../policy";
import type { ClusterSnapshot } from "./cluster-snapshot";
import { backOnFreshChecks } from "./actions/write";
import { addOnMember, asRead, setAddressOnMember, type RuntimeServer } from "./runtime-servers";
import { sleep } from "./sleep";

/**
 * `drain` / `maint`: out of rotation. `fresh-checks`: coming back on fresh health checks
 * (`ready --wait`): after a reload the health verdict is forced down again, so only
 * checks made after it count.
 */
export type { HeldState } from "../action-table";

/** Servers of one backend held on one member. */
export interface HeldTarget {
  member: string;
  backend: string;
  servers: readonly string[];
}

export interface ServerHoldOptions {
  /** Called with one sentence per member where the state was applied again (or could not be). */
  onWarning?: (message: string) => void;
  /**
   * Held servers as this process added them or moved them (add-server, set-address): a
   * reload that forgot one adds it again with exactly these settings, and one found at
   * another address is set back to this one. A held server not listed here that a
   * reload forgot is added again as the last read showed it: its address, rise, fall and
   * weight, with the check interval {@link DEFAULTS.addedServerCheckIntervalMs} (HAProxy
   * shows no server's interval).
   */
  runtimeServers?: readonly RuntimeServer[];
}

/** How often a hold that runs on its own reads the cluster, in seconds (policy.ts says why). */
export const HOLD_INTERVAL_SECONDS = DEFAULTS.holdIntervalSeconds;

/** What a hold reads the cluster with (a Cluster), named by what it needs so that hold.ts and cluster.ts do not import each other. */
export interface SnapshotSource {
  snapshot(options?: SnapshotOptions): Promise<ClusterSnapshot>;
}

export class ServerHold {
  /** The last read of each member: its process identity and counters. */
  readonly #seen = new Map<string, Snapshot>();
  /** Every warning given so far, in order. */
  readonly warnings: string[] = [];

  constructor(
    readonly members: readonly Member[],
    readonly targets: readonly HeldTarget[],
    readonly state: HeldState,
    private readonly options: ServerHoldOptions = {},
  ) {}

  /** Records the read the held state was applied and confirmed on (the reference for reloads). */
  record(snapshot: Snapshot): void {
    this.#seen.set(snapshot.member, snapshot);
  }

  /**
   * Looks at a new read of the cluster: on every member reloaded since its last read,
   * applies the held state again at once. Returns the members where it did so; their
   * read is stale (it shows the configuration's state) and must not count as a pass.
   */
  async check(snapshot: ClusterSnapshot): Promise<string[]> {
    const outcomes = await Promise.all(
      this.members.map(async (member): Promise<string | undefined> => {
        const now = snapshot.snapshots.get(member.name);
        if (!now) return undefined;
        const was = this.#seen.get(member.name);
        this.#seen.set(member.name, now);
        const reload = was && reloadBetween(was, now);
        if (!reload) return undefined;
        const mine = this.targets.filter((t) => t.member === member.name);
        if (mine.length === 0) return undefined;
        const subject = mine.map((t) => `${t.backend}/${t.servers.join(",")}`).join(", ");
        try {
          const repaired: string[] = [];
          for (const t of mine) repaired.push(...(await this.apply(member, now, was!, t)));
          const again = this.state === "fresh-checks" ? "forced its health down again so only fresh checks count" : `${this.state === "drain" ? "drained" : "put in maintenance"} again`;
          return `${reload.message}; ${subject} was ${this.describe()} there: ${[...repaired, again].join("; ")}.`;
        } catch (thrown) {
          const error = asHcError(thrown, member.name);
          // A member that did not answer (a busy new process) is repaired at the next read:
          // it still counts as reloaded then. A refusal would only be refused again.
          if (isUnreachable(error.code)) this.#seen.set(member.name, was!);
          return `${reload.message}; ${subject} could not be ${this.describe()} again there${isUnreachable(error.code) ? " yet (tried again at the next read)" : ""}: ${error.message}`;
        }
      }),
    );
    // Warnings in member order, whichever member answered first.
    const reapplied: string[] = [];
    outcomes.forEach((warning, i) => {
      if (warning === undefined) return;
      reapplied.push(this.members[i]!.name);
      this.warn(warning);
    });
    return reapplied;
  }

  /**
   * Holds while `until` runs (an app's restart, say): reads the cluster every
   * `intervalSeconds` (default HOLD_INTERVAL_SECONDS) and re-applies the held state on any member reloaded in
   * between. Returns what `until` returns, or throws what it throws.
   */
  async holdWhile<T>(cluster: SnapshotSource, until: Promise<T>, options: { intervalSeconds?: number } = {}): Promise<T> {
    const intervalMs = (options.intervalSeconds ?? HOLD_INTERVAL_SECONDS) * 1000;
    const backends = [...new Set(this.targets.map((t) => t.backend))];
    let done = false;
    const settled = until.then(
      () => (done = true),
      () => (done = true),
    );
    while (!done) {
      const started = Date.now();
      await this.check(await cluster.snapshot(backends.length === 1 ? { backend: backends[0] } : { types: ["backend", "server"] }));
      await Promise.race([settled, sleep(started + intervalMs - Date.now())]);
    }
    return until;
  }

  /** What is held and what happened, for reports (never the members' options). */
  toJSON(): { state: HeldState; targets: readonly HeldTarget[]; warnings: string[] } {
    return { state: this.state, targets: this.targets, warnings: this.warnings };
  }

  private describe(): string {
    return this.state === "fresh-checks" ? "coming back on fresh checks" : this.state === "drain" ? "held drained" : "held in maintenance";
  }

  private warn(message: string): void {
    this.warnings.push(message);
    this.options.onWarning?.(message);
  }

  /**
   * Applies the held state again from the read that showed the reload (names are checked
   * against it), after adding again the held servers the reload forgot and setting held
   * addresses back. Returns what it repaired, one phrase each, for the warning.
   */
  private async apply(member: Member, now: Snapshot, was: Snapshot, target: HeldTarget): Promise<string[]> {
    const { backend, servers } = target;
    const be = now.backend(backend);
    const repaired: string[] = [];
    const added: string[] = [];
    for (const name of servers) {
      const held = this.options.runtimeServers?.find((s) => s.backend === backend && s.server === name);
      const present = be.servers.get(name);
      if (!present) {
        const again = held ?? lastRead(was, backend, name);
        // Unknown to both: the state below fails and the warning names the server.
        if (!again) continue;
        await addOnMember(member, again);
        added.push(name);
        repaired.push(`${backend}/${name} was gone (added at run time), added again at ${again.address}${again.settings ? ` (${again.settings})` : ""}`);
        continue;
      }
      if (held && present.cell("addr") !== undefined && present.cell("addr") !== held.address) {
        const { host, port } = splitAddress(held.address);
        await setAddressOnMember(member, backend, name, host, port!);
        repaired.push(`${backend}/${name} was back at ${present.cell("addr")}, set to ${held.address} again`);
      }
      // In maintenance (added again at an earlier try whose answer was lost, or a slot the
      // configuration disables): it comes back as an added server does.
      if (held && present.admin === "maint" && this.state === "fresh-checks") added.push(name);
    }
    const read = repaired.length > 0 ? await member.snapshot({ backend }) : now;
    if (this.state !== "fresh-checks") {
      await member.setState(backend, servers, this.state, read);
      return repaired;
    }
    // The reload put them back in rotation on the configuration's verdict: force it down
    // again. Servers added again are in maintenance, as every added server starts.
    const kept = servers.filter((n) => !added.includes(n));
    if (kept.length > 0) await backOnFreshChecks(member, backend, kept, read, { evenIfReady: true });
    if (added.length > 0) await backOnFreshChecks(member, backend, added, read, { evenIfReady: false });
    return repaired;
  }
}

/** The server as the read before the reload showed it, to be added again; undefined when that read lacks it. */
function lastRead(was: Snapshot, backend: string, server: string): RuntimeServer | undefined {
  try {
    const s = was.backend(backend).servers.get(server);
    return s ? asRead(backend, s) : undefined;
  } catch {
    return undefined;
  }
}
