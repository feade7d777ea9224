// @ts-check
// Pulumi program with no resources: the health of an HAProxy cluster as stack outputs,
// read from every member on each `pulumi up` / `pulumi preview` (it only reads).
"use strict";

const pulumi = require("@pulumi/pulumi");
const { getClusterHealth } = require("haproxy-cluster/pulumi");

const config = new pulumi.Config();

/** @type {import("haproxy-cluster/pulumi").ClusterHealthArgs} */
const args = { members: /** @type {string[]} */ (config.requireObject("members")) };
const backends = config.getObject("backends");
const username = config.get("statsUser");
const password = config.getSecret("statsPassword");
const requestTimeoutSeconds = config.getNumber("requestTimeoutSeconds");
if (backends !== undefined) args.backends = /** @type {string[]} */ (backends);
if (username !== undefined) args.username = username;
if (password !== undefined) args.password = password;
if (requestTimeoutSeconds !== undefined) args.requestTimeoutSeconds = requestTimeoutSeconds;

const health = getClusterHealth(args);

/**
 * Per backend, the lowest share of serving servers over the members that could be read,
 * in percent to one decimal: the number a rolling restart would be judged on.
 * @param {import("haproxy-cluster/pulumi").ClusterHealth} h
 * @returns {Record<string, number>}
 */
function minPercentByBackend(h) {
  /** @type {Record<string, number>} */
  const lowest = {};
  for (const member of h.members) {
    for (const be of member.backends) lowest[be.name] = Math.min(lowest[be.name] ?? Infinity, be.percent);
  }
  return Object.fromEntries(Object.entries(lowest).map(([name, percent]) => [name, Math.round(percent * 10) / 10]));
}

module.exports = {
  /** Every member read, every backend reported rolling-restart safe on each. */
  healthy: health.healthy,
  takenAt: health.takenAt,
  membersRead: health.members.apply((ms) => ms.filter((m) => m.ok).length),
  /** Members that could not be read, with the reason. */
  unreadable: health.members.apply((ms) => Object.fromEntries(ms.filter((m) => !m.ok).map((m) => [m.member, m.error ?? "not read"]))),
  minPercentByBackend: health.apply(minPercentByBackend),
  /** Per backend, the servers serving on every member that was read. */
  servingEverywhere: health.apply((h) => {
    /** @type {Record<string, string[]>} */
    const serving = {};
    const read = h.members.filter((m) => m.ok);
    for (const member of read) {
      for (const be of member.backends) {
        const here = new Set(be.servers.filter((s) => s.serving).map((s) => s.name));
        serving[be.name] = (serving[be.name] ?? be.servers.map((s) => s.name)).filter((name) => here.has(name));
      }
    }
    return serving;
  }),
  health,
};
