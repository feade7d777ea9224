// Which HAProxy the rig runs: HC_HAPROXY_BIN (the version matrix points it at a release
// unpacked by scripts/ensure-haproxy-versions.sh), else `haproxy` from PATH.
export const haproxyBinary: string = process.env.HC_HAPROXY_BIN || "haproxy";
