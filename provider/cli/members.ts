// Short, stable labels for members (m1, m2… in the order given): table columns and
// Nagios perfdata labels stay readable and safe whatever the member specs look like.
// An old worker (a master socket's, after a reload) is labelled from its member
// (m1_old1), so the members given keep their labels while old workers come and go.

import type { ClusterSnapshot } from "../cluster/cluster-snapshot";

type Read = Pick<ClusterSnapshot, "members" | "snapshots">;

/**
 * One warning per HAProxy given under two spellings or more (its unix and TCP sockets,
 * `localhost` and `127.0.0.1`…): it counts once per spelling in sums and checks.
 */
export function sameProcessWarnings(read: Pick<ClusterSnapshot, "sameProcessGroups" | "snapshots">): string[] {
  return read.sameProcessGroups().map((group) => {
    const process = read.snapshots.get(group[0]!)!.process!;
    const names = group.length === 2 ? `${group[0]} and ${group[1]} are` : `${group.slice(0, -1).join(", ")} and ${group.at(-1)} are all`;
    const started = new Date(process.startedAtSeconds * 1000).toISOString().replace("T", " ").slice(0, 19);
    return `${names} one HAProxy (PID ${process.pid}, started ${started} UTC${process.node !== undefined ? ` on ${process.node}` : ""}), counted ${group.length} times in sums and checks; list it once.`;
  });
}

/** Each old worker's name in the read → the member it belongs to and its place among that member's old workers. */
function oldWorkers(read: Read): Map<string, { member: string; index: number }> {
  const out = new Map<string, { member: string; index: number }>();
  for (const [member, snapshot] of read.snapshots) snapshot.oldWorkers.forEach((old, i) => out.set(old.member, { member, index: i + 1 }));
  return out;
}

/** The members as the user gave them, in their order: the read's members without old workers. */
export function givenMembers(read: Read): string[] {
  const old = oldWorkers(read);
  return read.members.filter((name) => !old.has(name));
}

/** m1, m2… for the members given; `m1_old1`… for the old workers of m1. */
export function memberLabels(read: Read): Map<string, string> {
  const labels = new Map(givenMembers(read).map((name, i) => [name, `m${i + 1}`]));
  for (const [name, { member, index }] of oldWorkers(read)) labels.set(name, `${labels.get(member)}_old${index}`);
  return labels;
}

/** "m1  unix:/run/haproxy/admin.sock" lines, for legends. */
export function legend(read: Read): string[] {
  const labels = memberLabels(read);
  const width = Math.max(...[...labels.values()].map((l) => l.length));
  return read.members.map((name) => `${labels.get(name)!.padEnd(width)}  ${name}`);
}
