// @ts-check
// Settings objects from stack config, checked before any resource sees them: shared by
// this example and examples/replace-deploy. No Pulumi here.
"use strict";

/**
 * A settings object from config, refusing keys the resources would silently ignore (a
 * typo such as `timeoutSecond` would otherwise leave the default in force).
 * @param {unknown} value
 * @param {string} key
 * @param {string[]} allowed
 * @returns {any}
 */
function settings(value, key, allowed) {
  if (value === undefined) return undefined;
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new Error(`config ${key} must be an object with some of ${allowed.join(", ")}; got ${JSON.stringify(value)}`);
  }
  const unknown = Object.keys(value).filter((k) => !allowed.includes(k));
  if (unknown.length > 0) throw new Error(`config ${key}: unknown setting ${unknown.join(", ")}; known: ${allowed.join(", ")}`);
  return value;
}

module.exports = { settings };
