// A restart command as RollingRestart runs it: restarts the example app (examples/
// rolling-deploy/app.js, by its pid file) of the server named in the environment, at a
// new version, and says what it did on stdout. Everything about the server comes from
// HAPROXY_SERVER_NAME, HAPROXY_SERVER_ADDR and HAPROXY_SERVER_PORT, as a user's script would take it.
//   node restart-app-main.js --state-dir DIR --version V
import path from "node:path";
import { parseArgs } from "node:util";

const { values } = parseArgs({ options: { "state-dir": { type: "string" }, version: { type: "string" } } });
const name = process.env.HAPROXY_SERVER_NAME;
const host = process.env.HAPROXY_SERVER_ADDR;
const port = Number(process.env.HAPROXY_SERVER_PORT);
if (!name || !host || !Number.isInteger(port) || !values["state-dir"] || !values.version) {
  process.stderr.write(`restart-app: need HAPROXY_SERVER_NAME, HAPROXY_SERVER_ADDR, HAPROXY_SERVER_PORT, --state-dir and --version (got ${JSON.stringify({ name, host, port })})\n`);
  process.exit(2);
}

const appProcess = require(path.resolve(__dirname, "..", "..", "..", "examples", "rolling-deploy", "app-process.js")) as {
  APP_SCRIPT: string;
  checkAppInputs(news: Record<string, unknown>): { inputs: Record<string, unknown>; failures: unknown[] };
  restartApp(inputs: Record<string, unknown>): Promise<{ pid: number; previousPid: number | null }>;
};

async function main(): Promise<void> {
  process.stdout.write(`restarting ${name} on ${host}:${port} as ${values.version}\n`);
  const { inputs } = appProcess.checkAppInputs({ name, host, port, version: values.version, stateDir: values["state-dir"], script: appProcess.APP_SCRIPT, stopTimeoutSeconds: 10 });
  const done = await appProcess.restartApp(inputs);
  process.stdout.write(`${name}: pid ${done.previousPid ?? "none"} replaced by pid ${done.pid}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`restart-app: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
