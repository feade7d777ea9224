// A wait's progress as one line on stderr, the same for every command that waits (wait,
// the actions' --wait, the held restart, the server changes).

import type { WaitProgress } from "../cluster/cluster";
import { formatPercent, type Output } from "./output";

/** "poll 4 (1/3 in a row, 6.1 s): unix:/a.sock myapp 3/3 100%; tcp://… myapp 2/3 66.7% (myapp 2/3 serving (66.7% < 80%))" */
export function progressLine(out: Output, p: WaitProgress): string {
  const members = p.members.map((m) => {
    const numbers = m.backends.map((b) => `${b.name} ${b.serving}/${b.total} ${formatPercent(b.percent)}%`).join(", ");
    const verdict = m.ok ? out.paintErr("green", "ok") : out.paintErr(m.unreadable ? "red" : "yellow", m.unreadable ? m.reason ?? "unreadable" : `not yet: ${m.reason}`);
    return `${m.member} ${numbers ? `${numbers} ` : ""}${verdict}`;
  });
  return `poll ${p.attempt} (${p.passes}/${p.minChecks} in a row, ${p.elapsedSeconds.toFixed(1)} s): ${members.join("; ")}`;
}
