// Turns across the processes of this machine. Two commands taking servers out of one
// backend at once (two shells, a deploy script beside a Pulumi stack) would each read the
// other's servers still serving and both pass the capacity guard. So a removal's turn
// (plan, guard, write, read back; not the waits after it) holds a file per member's
// backend, in a folder of this user's under the temporary directory, and a removal that
// finds the file held waits for it. A file whose process is gone (killed mid-turn) is
// taken over. Other machines do not see these files: there the guard still reads alone.

import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { HcError } from "../../errors";
import { DEFAULTS } from "../../policy";
import { sleep } from "../sleep";

/** One member's backend, as a turn names it. */
export interface TurnKey {
  member: string;
  backend: string;
}

/** What a turn's file holds: who holds it and since when. */
interface Holder {
  pid: number;
  since: number;
}

/** How often a removal looks again at a turn held by another process, in milliseconds. */
const LOOK_AGAIN_MS = 25;
/** A turn's file is written as it is made; one still empty after this long never will be, in milliseconds. */
const UNWRITTEN_TURN_MS = 5_000;

/**
 * The folder of this user's turns, or why there is none: it is made by this user, for
 * this user alone, so no other user can hold a turn or remove one; a folder of that name
 * that another user made (or opened to others) is not used.
 */
function turnsDir(): { dir: string } | { unusable: string } {
  const uid = process.getuid?.();
  const dir = path.join(os.tmpdir(), `haproxy-cluster-turns-${uid ?? "user"}`);
  let stat: fs.Stats;
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    stat = fs.lstatSync(dir);
  } catch (error) {
    return { unusable: `${dir} cannot be made (${(error as NodeJS.ErrnoException).code ?? String(error)})` };
  }
  if (!stat.isDirectory() || (uid !== undefined && stat.uid !== uid) || (stat.mode & 0o077) !== 0) {
    return { unusable: `${dir} is not a folder of this user's alone` };
  }
  return { dir };
}

function turnFile(dir: string, key: TurnKey): string {
  return path.join(dir, `${createHash("sha256").update(`${key.member}\n${key.backend}`).digest("hex").slice(0, 32)}.turn`);
}

/** Files this process holds, let go of at exit too (a CLI stopped by a signal exits through process.exit). */
const held = new Set<string>();
process.on("exit", () => {
  for (const file of held) fs.rmSync(file, { force: true });
});

/**
 * Takes the turn of every key (in one order, so two processes cannot wait for each
 * other), waiting for other processes that hold one; `onWarning` is told once per key
 * held by another. Returns the release. HC_WAIT_DEADLINE after
 * {@link DEFAULTS.turnTimeoutSeconds} without the turn, having changed nothing.
 */
export async function takeProcessTurns(keys: readonly TurnKey[], onWarning?: (message: string) => void, signal?: AbortSignal): Promise<() => void> {
  const place = turnsDir();
  if ("unusable" in place) {
    onWarning?.(`not taking turns with other processes of this machine: ${place.unusable}; the capacity guard reads alone.`);
    return () => undefined;
  }
  const { dir } = place;
  const deadlineAt = Date.now() + DEFAULTS.turnTimeoutSeconds * 1000;
  // Each file once, in one order for every process.
  const ordered = [...new Map(keys.map((key) => [turnFile(dir, key), key] as const))].sort(([a], [b]) => a.localeCompare(b));
  const mine: string[] = [];
  const release = () => {
    for (const file of mine.splice(0)) {
      held.delete(file);
      fs.rmSync(file, { force: true });
    }
  };
  try {
    for (const [file, key] of ordered) mine.push(await takeOne(file, key, deadlineAt, onWarning, signal));
  } catch (error) {
    release();
    throw error;
  }
  return release;
}

async function takeOne(file: string, key: TurnKey, deadlineAt: number, onWarning?: (message: string) => void, signal?: AbortSignal): Promise<string> {
  let told = false;
  for (;;) {
    signal?.throwIfAborted();
    try {
      fs.writeFileSync(file, JSON.stringify({ pid: process.pid, since: Date.now() } satisfies Holder), { flag: "wx", mode: 0o600 });
      held.add(file);
      return file;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const holder = readHolder(file);
    if (holder && (!alive(holder.pid) || Date.now() - holder.since > DEFAULTS.staleTurnSeconds * 1000)) {
      // Left by a process that is gone: taken over, unless another waiter did so first.
      if (sameHolder(readHolder(file), holder)) fs.rmSync(file, { force: true });
      continue;
    }
    // Empty for longer than a write takes: its process died between making and writing it.
    if (!holder && ageMs(file) > UNWRITTEN_TURN_MS) {
      fs.rmSync(file, { force: true });
      continue;
    }
    const who = holder ? `process ${holder.pid}` : "another process";
    if (!told) {
      told = true;
      onWarning?.(`waiting for ${who}, which is taking servers out of ${key.backend} on ${key.member}, so that the capacity guard sees what it leaves.`);
    }
    if (Date.now() >= deadlineAt) {
      throw new HcError(
        "HC_WAIT_DEADLINE",
        `${key.member}: ${who} has been taking servers out of ${key.backend} for more than ${DEFAULTS.turnTimeoutSeconds} s; nothing was changed here: run the command again once it is done (its turn is ${file}: remove it if that process is no haproxy-cluster).`,
        { member: key.member, backend: key.backend, turn: file },
      );
    }
    await sleep(LOOK_AGAIN_MS, signal);
  }
}

/** The file's holder; undefined while it is being written or once it is gone. */
function readHolder(file: string): Holder | undefined {
  try {
    const holder = JSON.parse(fs.readFileSync(file, "utf8")) as Partial<Holder>;
    return typeof holder.pid === "number" && typeof holder.since === "number" ? { pid: holder.pid, since: holder.since } : undefined;
  } catch {
    return undefined;
  }
}

/** How long ago the file was last written, in milliseconds (0 once it is gone). */
function ageMs(file: string): number {
  try {
    return Date.now() - fs.statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}

function sameHolder(a: Holder | undefined, b: Holder): boolean {
  return a !== undefined && a.pid === b.pid && a.since === b.since;
}

/** Whether a process of that id runs (EPERM: it does, as another user's). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
