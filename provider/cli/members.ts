// Short, stable labels for members (m1, m2… in the order given): table columns and
// Nagios perfdata labels stay readable and safe whatever the member specs look like.

export function memberLabels(members: readonly string[]): Map<string, string> {
  return new Map(members.map((name, i) => [name, `m${i + 1}`]));
}

/** "m1  unix:/run/haproxy/admin.sock" lines, for legends. */
export function legend(members: readonly string[]): string[] {
  const labels = memberLabels(members);
  return members.map((name) => `${labels.get(name)}  ${name}`);
}
