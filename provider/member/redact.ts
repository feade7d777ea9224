// Member names never carry a password: the one rule for removing them, shared by the
// library and the CLI's output (this module loads nothing, so the CLI stays fast).

/** `scheme://user:secret@` → `scheme://user:***@`; a user alone (`ssh://haproxy@lb1`) is kept: it is no secret. */
export function redactUrl(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)([^/@\s]*)@/gi, (_m, scheme: string, userinfo: string) => {
    if (!userinfo.includes(":")) return `${scheme}${userinfo}@`;
    const user = userinfo.split(":")[0];
    return user ? `${scheme}${user}:***@` : scheme;
  });
}
