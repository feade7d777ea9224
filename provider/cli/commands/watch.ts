// `watch`: a live view of the cluster. On a terminal: a full screen redrawn in place
// (alternate screen, cursor home, each line cleared to its end: no flicker), keys to
// quit, pause, pick a backend and change the interval. Elsewhere: one plain line per change.

import type { ClusterSnapshot } from "../../cluster/cluster-snapshot";
import { DEFAULTS, LIMITS } from "../../policy";
import { numberOption, stringList, type CommandSpec } from "../args";
import type { Context } from "../context";
import { Exit, type ExitCode } from "../exit";
import { renderWatch, type WatchView } from "../watch/render";

export const spec: CommandSpec = {
  name: "watch",
  summary: "live view of backends across every member (plain lines when not a terminal)",
  usage: `Usage: haproxy-cluster watch [--backend B]... [--interval SECONDS] MEMBER...

A live view of one backend at a time across every member: servers as rows, members as
columns, each cell the state (colour on a terminal) with current sessions (s), session
rate (r) and 5xx answers (5xx). Rows where members disagree are marked with "!" (a
different state, or a server some members lack: "-", added at run time on some only
or forgotten by a reload);
unreadable members and reloads (a new HAProxy process) are shown; the recent
transitions are listed below.

Keys: q quit, p pause/resume, b or tab next backend, + / - slower / faster.

When standard output is not a terminal, prints one plain line per change instead
(a transition, a member unreadable or back, a reload) until interrupted.

Options:
  --backend B         the backends to show, in this order (default every backend)
  --interval SECONDS  time between reads, from ${LIMITS.minIntervalSeconds} to ${LIMITS.maxWatchIntervalSeconds} (default ${DEFAULTS.intervalSeconds})

Exit status: 0 when quit (q, Ctrl-C, SIGTERM); 3 bad arguments.`,
  options: { backend: { type: "string", multiple: true }, interval: { type: "string" } },
};

const INTERVALS = [0.5, 1, 2, 5, 10, 30];
const RECENT_KEPT = 200;

/** Terminal control sequences (ECMA-48 / xterm). */
const ALT_SCREEN_ON = "\u001b[?1049h\u001b[?25l";
const ALT_SCREEN_OFF = "\u001b[?25h\u001b[?1049l";
const HOME = "\u001b[H";
const CLEAR_EOL = "\u001b[K";
const CLEAR_BELOW = "\u001b[J";

export async function run(ctx: Context): Promise<ExitCode> {
  const chosen = stringList(ctx.values, "backend");
  // The waits' floor: each read is a Runtime API connection (or more) to every member.
  let intervalSeconds = numberOption(ctx.values, "interval", { min: LIMITS.minIntervalSeconds, max: LIMITS.maxWatchIntervalSeconds }) ?? DEFAULTS.intervalSeconds;
  const cluster = await ctx.cluster();
  const { TransitionLog } = await import("../../cluster/transitions");
  // Compares each member with its last good read, so one back after an outage as a new
  // process shows its reload and what the restart undid.
  const log = new TransitionLog();
  const tty = process.stdout.isTTY === true;
  const read = chosen.length === 1 ? { backend: chosen[0] } : { types: ["backend", "server"] as const };

  let quit = false;
  let paused = false;
  let wake: () => void = () => undefined;
  const stop = (): void => {
    quit = true;
    wake();
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);

  const recent: string[] = [];
  const reloads = new Map<string, { at: Date; from: string; to: string }>();
  let last: ClusterSnapshot | undefined;
  let backendAt = 0;
  const backendList = (): string[] => {
    if (chosen.length > 0) return chosen;
    const all: string[] = [];
    // Proxies without servers (a `listen stats`, say) have nothing to watch.
    for (const s of last?.snapshots.values() ?? []) for (const [name, be] of s.backends) if (be.servers.size > 0 && !all.includes(name)) all.push(name);
    return all;
  };

  const view = (): WatchView => {
    const list = backendList();
    backendAt = list.length === 0 ? 0 : backendAt % list.length;
    return {
      snapshot: last,
      backend: list[backendAt],
      backendIndex: backendAt,
      backendCount: list.length,
      intervalSeconds,
      paused,
      recent,
      reloads,
      width: process.stdout.columns || 80,
      height: process.stdout.rows || 24,
    };
  };
  const draw = (): void => {
    if (!tty) return;
    const lines = renderWatch(view(), (style, text) => ctx.out.paint(style, text));
    process.stdout.write(ctx.out.scrub(`${HOME}${lines.map((l) => `${l}${CLEAR_EOL}`).join("\r\n")}${CLEAR_BELOW}`));
  };
  const note = (line: string): void => {
    recent.push(line);
    if (recent.length > RECENT_KEPT) recent.splice(0, recent.length - RECENT_KEPT);
    if (!tty) ctx.out.data(line);
  };

  const onKey = (data: Buffer): void => {
    for (const key of data.toString("utf8")) {
      if (key === "q" || key === "Q" || key === "\u0003") stop();
      else if (key === "p" || key === "P") paused = !paused;
      else if (key === "b" || key === "B" || key === "\t") backendAt++;
      else if (key === "+") intervalSeconds = INTERVALS.find((i) => i > intervalSeconds) ?? intervalSeconds;
      else if (key === "-") intervalSeconds = [...INTERVALS].reverse().find((i) => i < intervalSeconds) ?? intervalSeconds;
    }
    draw();
    wake();
  };
  const keyboard = tty && process.stdin.isTTY === true;
  const onResize = (): void => draw();
  if (tty) {
    process.stdout.write(ALT_SCREEN_ON);
    process.stdout.on("resize", onResize);
  }
  if (keyboard) {
    process.stdin.setRawMode(true);
    process.stdin.on("data", onKey);
    process.stdin.resume();
  }
  if (!tty) ctx.out.data(`${stamp(new Date())} watching ${chosen.length > 0 ? chosen.join(", ") : "every backend"} on ${cluster.memberNames.length} member(s) every ${intervalSeconds} s`);

  try {
    draw();
    while (!quit) {
      const started = Date.now();
      if (!paused) {
        const snap = await cluster.snapshot(read);
        if (quit) break;
        const at = stamp(snap.takenAt);
        const transitions = log.next(snap);
        if (!last) {
          // Where things stand, once: every later line is a change from here.
          for (const member of snap.members) {
            const error = snap.errors.get(member);
            if (error) note(`${at} ${member} cannot be read: ${error.message}`);
            for (const be of snap.snapshots.get(member)?.backends.values() ?? []) {
              if (be.servers.size === 0 || (chosen.length > 0 && !chosen.includes(be.name))) continue;
              note(`${at} ${member} ${be.name}: ${be.capacity.serving}/${be.capacity.total} serving`);
            }
          }
        } else {
          for (const t of transitions) {
            if (t.reload) reloads.set(t.member, { at: snap.takenAt, from: t.from, to: t.to });
            if (!t.backend || chosen.length === 0 || chosen.includes(t.backend)) note(`${at} ${t.message}`);
          }
        }
        last = snap;
        draw();
      }
      if (quit) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(0, started + intervalSeconds * 1000 - Date.now()));
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  } finally {
    process.removeListener("SIGINT", stop);
    process.removeListener("SIGTERM", stop);
    if (keyboard) {
      process.stdin.removeListener("data", onKey);
      process.stdin.setRawMode(false);
      process.stdin.pause();
    }
    if (tty) {
      process.stdout.removeListener("resize", onResize);
      process.stdout.write(ALT_SCREEN_OFF);
    }
  }
  return Exit.OK;
}

function stamp(at: Date): string {
  return at.toISOString().slice(11, 19);
}
