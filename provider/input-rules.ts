// The rules every value a caller gives is checked against where it enters, before any
// member is asked: names, the numeric options of waits and polls, and weights. One home
// for each, so the library, the CLI and the Pulumi resources refuse the same values in
// the same words (their numbers are in policy.ts). Plain predicates, not zod: every CLI
// command passes here, and zod costs the CLI's start-up about 90 ms (see member/options).

import { HcError } from "./errors";
import { LIMITS } from "./policy";

// ---- Names ----------------------------------------------------------------------------
// A name HAProxy cannot have would otherwise travel to every member and come back as that
// member's failure (a 20,000-character name makes HAProxy close the connection, which
// reads as "the member is down").

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

// ---- The numeric options of waits and polls --------------------------------------------

/** Polling faster than this only loads HAProxy (policy.ts). */
export const MIN_INTERVAL_SECONDS = LIMITS.minIntervalSeconds;

// Like zod's z.number(): NaN and the infinities are not numbers here.
const isNumber = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);
/** Each option's rule, in the words the error message uses ("minChecks must be a whole number of at least 1, not 0"). */
const RULES = {
  minChecks: { ok: (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 1, says: "a whole number of at least 1" },
  intervalSeconds: { ok: (v: unknown) => isNumber(v) && v >= MIN_INTERVAL_SECONDS, says: `a number of seconds of at least ${MIN_INTERVAL_SECONDS}` },
  timeoutSeconds: { ok: (v: unknown) => isNumber(v) && v > 0, says: "a number of seconds above 0" },
  thresholdPercent: { ok: (v: unknown) => isNumber(v) && v >= 0 && v <= 100, says: "a number from 0 to 100" },
} as const;

export type NumericOption = keyof typeof RULES;

/**
 * Throws HC_BAD_SPEC for the first option of `options` that breaks its rule; absent
 * (undefined) options are left to their defaults. `where` names the call for the message.
 */
export function checkNumericOptions(where: string, options: object | undefined, names: readonly NumericOption[]): void {
  if (options === undefined) return;
  if (options === null || typeof options !== "object") {
    throw new HcError("HC_BAD_SPEC", `${where}: options must be an object such as { timeoutSeconds: 60 }, not ${String(options)}.`);
  }
  const bag = options as Record<string, unknown>;
  for (const name of names) {
    const value = bag[name];
    if (value === undefined) continue;
    if (!RULES[name].ok(value)) {
      throw new HcError("HC_BAD_SPEC", `${where}: ${name} must be ${RULES[name].says}, not ${describe(value)}.`, { option: name });
    }
  }
}

function describe(value: unknown): string {
  return typeof value === "string" ? JSON.stringify(value) : String(value);
}

// ---- Weights ----------------------------------------------------------------------------

/** A weight as HAProxy takes it: an absolute 0 to {@link LIMITS.maxWeight}, or a percentage of the configured weight. */
export type Weight = number | `${number}%`;

/** The weight rule in the words every refusal uses. */
export const WEIGHT_RULE = `a whole number from 0 to ${LIMITS.maxWeight}, or a percentage from 0% to 100%`;

/** Whether `value` is a weight HAProxy takes: 0 to {@link LIMITS.maxWeight}, or 0% to 100% of the configured weight. */
export function isWeight(value: unknown): value is Weight {
  if (typeof value === "number") return Number.isInteger(value) && value >= 0 && value <= LIMITS.maxWeight;
  return typeof value === "string" && /^\d{1,3}%$/.test(value) && Number(value.slice(0, -1)) <= 100;
}

/** Throws HC_BAD_SPEC unless `value` is a weight; `given` is how the caller named it ("weight", "--weight"). */
export function checkWeight(value: unknown, given = "weight"): asserts value is Weight {
  if (!isWeight(value)) throw new HcError("HC_BAD_SPEC", `${given} must be ${WEIGHT_RULE}, not ${describe(value)}.`, { weight: describe(value) });
}

/** A weight from text ("7", "50%"), as the command line gives it; HC_BAD_SPEC naming `given` when it is none. */
export function parseWeight(text: string, given: string): Weight {
  const trimmed = text.trim();
  const value = /^\d+$/.test(trimmed) ? Number(trimmed) : trimmed;
  checkWeight(value, given);
  return value;
}
