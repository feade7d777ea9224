// The numeric options of the framework's waits and polls, checked where they enter: one
// home for their limits, and one sentence per bad value, in the CLI's words ("minChecks
// must be a whole number of at least 1, not 0"). Plain predicates, not zod: every CLI
// command passes here, and zod costs the CLI's start-up about 90 ms (see member/options).

import { HcError } from "../errors";
import { LIMITS } from "../policy";

/** Polling faster than this only loads HAProxy (policy.ts). */
export const MIN_INTERVAL_SECONDS = LIMITS.minIntervalSeconds;

// Like zod's z.number(): NaN and the infinities are not numbers here.
const isNumber = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);
/** Each option's rule, in the words the error message uses. */
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
