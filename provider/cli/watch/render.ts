// The watch view as text: one backend's servers as rows, members as columns, each cell
// the state with sessions, rate and 5xx; rows where members disagree are marked. Pure:
// state in, lines out, already cut to the terminal's width and height.

import type { ClusterSnapshot } from "../../cluster/cluster-snapshot";
import type { Server } from "../../model/server";

export type Paint = (style: "bold" | "dim" | "red" | "green" | "yellow" | "cyan", text: string) => string;

export interface WatchView {
  snapshot?: ClusterSnapshot;
  backend?: string;
  /** Position of `backend` among those that can be picked, and how many there are. */
  backendIndex: number;
  backendCount: number;
  intervalSeconds: number;
  paused: boolean;
  /** Newest last, already with their time. */
  recent: readonly string[];
  /** Member → when it was last seen reloading (a new HAProxy process). */
  reloads: ReadonlyMap<string, { at: Date; from: string; to: string }>;
  width: number;
  height: number;
}

const KEYS = "q quit  p pause  b/tab next backend  +/- interval";

/** A server's state in one word, the way the original tool's operators read it. */
export function stateWord(s: Server): string {
  if (s.admin === "maint") return "MAINT";
  if (s.admin === "drain") return "DRAIN";
  return s.status.raw.split(" ")[0] || "?";
}

function styleFor(word: string): Parameters<Paint>[0] {
  if (word === "UP" || word === "OPEN" || word === "no") return "green";
  if (word === "DRAIN" || word === "NOLB") return "yellow";
  if (word === "MAINT") return "cyan";
  return "red";
}

/** Cuts or pads `text` to exactly `width` columns (plain text only). */
export function fit(text: string, width: number): string {
  if (width <= 0) return "";
  if (text.length > width) return width === 1 ? "…" : `${text.slice(0, width - 1)}…`;
  return text.padEnd(width);
}

/** Long member names shortened from the middle, keeping the start and the distinctive end. */
function shorten(name: string, width: number): string {
  if (name.length <= width) return name;
  if (width < 5) return name.slice(0, width);
  const tail = Math.ceil((width - 1) / 2);
  return `${name.slice(0, width - 1 - tail)}…${name.slice(name.length - tail)}`;
}

export function renderWatch(view: WatchView, paint: Paint): string[] {
  const { snapshot, width } = view;
  const lines: string[] = [];
  const time = snapshot ? snapshot.takenAt.toISOString().slice(11, 19) : "--:--:--";
  const be = view.backend ? `backend ${view.backend} (${view.backendIndex + 1}/${view.backendCount})` : "no backend";
  const title = `haproxy-cluster watch · ${be} · every ${view.intervalSeconds} s · ${time}${view.paused ? " · PAUSED" : ""}`;
  lines.push(paint("bold", fit(title, width).trimEnd()));
  if (!snapshot) {
    lines.push(fit("reading every member…", width).trimEnd());
    return lines;
  }
  const members = snapshot.members;
  members.forEach((m, i) => {
    const error = snapshot.errors.get(m);
    const reload = view.reloads.get(m);
    let note = "";
    if (error) note = ` UNREADABLE: ${error.message}`;
    else if (reload) note = ` reloaded at ${reload.at.toISOString().slice(11, 19)} (pid ${reload.from} -> ${reload.to})`;
    const text = fit(`[${i + 1}] ${m}${note}`, width).trimEnd();
    lines.push(error ? paint("red", text) : reload ? paint("yellow", text) : text);
  });
  lines.push("");

  const backends = new Map(members.flatMap((m) => {
    const b = view.backend ? snapshot.snapshots.get(m)?.backends.get(view.backend) : undefined;
    return b ? [[m, b] as const] : [];
  }));
  const names: string[] = [];
  for (const b of backends.values()) for (const n of b.servers.keys()) if (!names.includes(n)) names.push(n);
  // Two columns for the disagreement marker, two of gap after the name.
  const nameWidth = Math.min(Math.max(6, ...names.map((n) => n.length)) + 4, Math.max(10, Math.floor(width / 3)));
  const cellWidth = Math.max(4, Math.floor((width - nameWidth) / Math.max(1, members.length)));
  const detailed = cellWidth >= 22;

  lines.push(fit("  SERVER", nameWidth) + members.map((m, i) => fit(shorten(`[${i + 1}] ${m}`, cellWidth - 1), cellWidth)).join("").trimEnd());
  const disagree: string[] = [];
  for (const name of names) {
    const words: string[] = [];
    const cells = members.map((m) => {
      if (snapshot.errors.has(m)) return { text: fit("UNREADABLE", cellWidth), style: "red" as const };
      const s = backends.get(m)?.servers.get(name);
      // A member that has the backend but not the server disagrees (a server added at run
      // time on some members only, or forgotten there by a reload); one without the backend says nothing.
      if (!s) {
        if (backends.has(m)) words.push("absent");
        return { text: fit("-", cellWidth), style: "dim" as const };
      }
      const word = stateWord(s);
      words.push(`${word}/${s.serving}`);
      const detail = detailed ? ` s:${s.sessions ?? "-"} r:${s.rate ?? "-"} 5xx:${s.int("hrsp_5xx") ?? "-"}` : "";
      return { text: fit(`${word}${detail}`, cellWidth), style: styleFor(word) };
    });
    const split = new Set(words).size > 1;
    if (split) disagree.push(name);
    const marker = split ? paint("yellow", "! ") : "  ";
    lines.push(marker + fit(name, nameWidth - 4) + "  " + cells.map((c) => paint(c.style, c.text)).join("").trimEnd());
  }
  if (names.length === 0) lines.push(fit(view.backend ? `  no member shows backend ${view.backend}` : "  no backend to show", width).trimEnd());
  lines.push("");
  // Agreement is only claimed over every member: an unreadable one may well disagree.
  const unreadable = members.filter((m) => snapshot.errors.has(m)).length;
  const verdict =
    disagree.length > 0
      ? paint("yellow", fit(`! members disagree on: ${disagree.join(", ")}`, width).trimEnd())
      : unreadable > 0
        ? paint("red", fit(`agreement unknown: ${unreadable} of ${members.length} members unreadable`, width).trimEnd())
        : paint("dim", "members agree");
  lines.push(verdict);
  lines.push("");

  // What is left of the screen goes to the recent transitions, newest last.
  const room = Math.max(1, view.height - lines.length - 3);
  lines.push(paint("bold", "recent transitions"));
  const recent = view.recent.slice(-room);
  if (recent.length === 0) lines.push(paint("dim", "  none yet"));
  for (const t of recent) lines.push(fit(`  ${t}`, width).trimEnd());
  lines.push("");
  lines.push(paint("dim", fit(KEYS, width).trimEnd()));
  return lines.slice(0, Math.max(1, view.height));
}
