// Short, stable labels for members (m1, m2… in the order given): table columns and
// Nagios perfdata labels stay readable and safe whatever the member specs look like.
// An old worker (a master socket's, after a reload) is labelled from its member
// (m1_old1), so the members given keep their labels while old workers come and go.

import type { ClusterSnapshot } from "../cluster/cluster-snapshot";

type Read = Pick<ClusterSnapshot, "members" | "snapshots">;

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
