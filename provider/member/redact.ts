// Member names never carry a password: the one rule for removing them, shared by the
// library and the CLI's output (this module loads nothing, so the CLI stays fast).

/**
 * `scheme://user:secret@` → `scheme://user:***@`; a user alone (`ssh://haproxy@lb1`) is
 * kept: it is no secret. Everything up to the last `@` of the word counts as userinfo:
 * a password may hold an unencoded `/` or `@`, which ends the userinfo for a URL parser
 * but must not leak into a message.
 */
export function redactUrl(text: string): string {
  return text.replace(new RegExp(USERINFO.source, "gi"), (whole, scheme: string, userinfo: string) => {
    if (!userinfo.includes(":")) return whole;
    const user = shownUser(userinfo);
    return user ? `${scheme}${user}:***@` : `${scheme}***@`;
  });
}

/** A URL's scheme and userinfo (up to the last `@` of the word; see redactUrl). */
const USERINFO = /([a-z][a-z0-9+.-]*:\/\/)(\S*)@/i;

/** The user of a userinfo that holds a password, when it can be shown: not empty, and no part of the password spilled into it. */
function shownUser(userinfo: string): string | undefined {
  const user = userinfo.split(":")[0]!;
  return user && !/[/?#]/.test(user) ? user : undefined;
}

/**
 * The member spec without the password its URL holds (`http://admin:secret@lb1/stats` →
 * `http://admin@lb1/stats`): a spec that still works when the password comes from
 * HAPROXY_CLUSTER_PASSWORD or a password file, for commands printed for a person to run.
 */
export function withoutPassword(spec: string): string {
  return spec.replace(new RegExp(`^${USERINFO.source}`, "i"), (whole, scheme: string, userinfo: string) => {
    if (!userinfo.includes(":")) return whole;
    const user = shownUser(userinfo);
    return user ? `${scheme}${user}@` : scheme;
  });
}

/** The password written in a member URL (percent-decoded when it can be), else undefined. */
export function passwordInUrl(spec: string): string | undefined {
  const m = /^[a-z][a-z0-9+.-]*:\/\/[^/@\s:]*:(\S*)@/i.exec(spec.trim());
  if (!m) return undefined;
  try {
    return decodeURIComponent(m[1]!);
  } catch {
    return m[1];
  }
}
