// Telling that a member was reloaded (or restarted) between two reads of it. A reload
// starts new HAProxy processes from the configuration file: every runtime change (drain,
// maint, weight, forced health) is gone unless the configuration loads a saved server
// state, health verdicts start again from the configuration, and counters from zero.

import type { ProcessIdentity } from "../transport/types";
import type { Snapshot } from "./snapshot";

/** Seconds the derived start time may move between two reads of one process (the stats page's uptime has 1 s steps). */
const START_TIME_SLACK_SECONDS = 2;

export interface Reload {
  member: string;
  /** How it was told: a new process answered, or cumulative counters went backwards. */
  evidence: "process" | "counters";
  fromPid?: number;
  toPid?: number;
  /** One line for people: "lb2 reloaded: server states from its configuration (PID 12 -> 34)". */
  message: string;
}

/**
 * True when two reads were answered by one HAProxy process: the same PID, started at the
 * same time (within the stats page's rounding), on the same node when both reads name
 * one. Two members that answer as one process are one HAProxy under two spellings.
 */
export function sameProcess(a: ProcessIdentity, b: ProcessIdentity): boolean {
  if (a.pid !== b.pid || Math.abs(a.startedAtSeconds - b.startedAtSeconds) > START_TIME_SLACK_SECONDS) return false;
  return a.node === undefined || b.node === undefined || a.node === b.node;
}

/** The cumulative counters whose going backwards means they restarted. */
const CUMULATIVE = ["stot", "lbtot"] as const;

/** The reload between two reads of one member, or undefined when the same process answered both. */
export function reloadBetween(before: Snapshot, after: Snapshot): Reload | undefined {
  const member = after.member;
  const was = before.process;
  const now = after.process;
  if (was && now) {
    const restarted = was.pid !== now.pid || now.startedAtSeconds > was.startedAtSeconds + START_TIME_SLACK_SECONDS;
    if (!restarted) return undefined;
    const pids = was.pid !== now.pid ? ` (PID ${was.pid} -> ${now.pid})` : ` (PID ${now.pid}, started again)`;
    return { member, evidence: "process", fromPid: was.pid, toPid: now.pid, message: `${member} reloaded: server states from its configuration${pids}` };
  }
  // Without process identity (a saved file, a stats page hiding its header): counters
  // that went backwards. Only rows in both reads count; `clear counters` looks the same.
  if (countersWentBackwards(before, after)) {
    return { member, evidence: "counters", message: `${member} reloaded: server states from its configuration (its counters went back to zero)` };
  }
  return undefined;
}

function countersWentBackwards(before: Snapshot, after: Snapshot): boolean {
  for (const [name, be] of after.backends) {
    const old = before.backends.get(name);
    if (!old) continue;
    for (const [sv, server] of be.servers) {
      const was = old.servers.get(sv);
      if (!was) continue;
      for (const column of CUMULATIVE) {
        const a = server.int(column);
        const b = was.int(column);
        if (a !== undefined && b !== undefined && a < b) return true;
      }
    }
  }
  return false;
}

/** A cumulative counter's growth between two reads; after a restart, what was counted since it. Never negative. */
export function counterGrowth(before: number, after: number, reloaded = false): number {
  return reloaded || after < before ? after : after - before;
}
