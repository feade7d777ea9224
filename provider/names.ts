// The one rule for the backend, server and frontend names a caller gives us, checked
// before any member is asked: a name HAProxy cannot have would otherwise travel to every
// member and come back as that member's failure (a 20,000-character name makes HAProxy
// close the connection, which reads as "the member is down").

import { HcError } from "./errors";

/**
 * HAProxy's configuration parser accepts proxy and server names made of these characters
 * only (`invalid_char()` in src/tools.c; 2.6, 3.0 and 3.4 refuse anything else at start-up).
 */
const NAME_CHARACTERS = /^[A-Za-z0-9._:-]+$/;

/**
 * The longest name we send, in characters. HAProxy sets no length in its configuration,
 * but a name must fit one Runtime API command line and one statistics row, both held in
 * one buffer (tune.bufsize, 16384 bytes by default), and a write names the backend and
 * the server together. Measured on 2.6, 3.2 and 3.4 with the default buffer: a backend
 * and a server of 8,000 characters each still work, of 10,000 each neither `show stat`
 * nor `set server` does ("The command line is too big for the buffer size" from 3.x,
 * a closed connection from 2.6). 4,096 each leaves room for the rest of the line and a
 * master socket's prefix.
 */
export const MAX_NAME_CHARACTERS = 4096;

/** What a name is, for messages: "backend", "server", or "frontend or backend". */
export type NameKind = "backend" | "server" | "frontend or backend";

/** How a name looks in a message: quoted, and cut short when long (its length said instead). */
function shown(name: string): string {
  return name.length <= 40 ? JSON.stringify(name) : `${JSON.stringify(name.slice(0, 32))}… (${name.length} characters)`;
}

/**
 * Throws HC_BAD_SPEC when `name` cannot be a HAProxy name of this kind. `argument` is how
 * the caller gave it (`--backend` on the command line), so the sentence names it.
 */
export function checkName(name: unknown, kind: NameKind, argument?: string): asserts name is string {
  const given = argument !== undefined ? `${argument} ` : "";
  if (typeof name !== "string") throw new HcError("HC_BAD_SPEC", `${given}must be a ${kind} name (a string), not ${typeof name}.`, { argument });
  if (NAME_CHARACTERS.test(name) && name.length <= MAX_NAME_CHARACTERS) return;
  const why =
    name.length > MAX_NAME_CHARACTERS
      ? `a name this long does not fit in one HAProxy command (at most ${MAX_NAME_CHARACTERS} characters)`
      : `HAProxy names are not empty and use only letters, digits, ".", "-", "_" and ":"`;
  throw new HcError("HC_BAD_SPEC", `${given}${shown(name)} cannot be a ${kind} name: ${why}; check the spelling.`, { argument, [kind === "server" ? "server" : "backend"]: name.slice(0, 64) });
}
