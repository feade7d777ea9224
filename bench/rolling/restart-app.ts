// The deploy scripts' "restart the app" command (stands for `ssh host systemctl restart
// myapp`): stops the app on PORT by its pid file, gracefully, and starts VERSION; returns
// once the new process answers on its port, which may still be warming up. One JSON line
// with the two halves' timings is appended to --record.
// Way (d)'s hook: --signal-file gets one line `restarting NAME` as the command starts (the
// benchmark reloads a member on it), and --before-stop-ms keeps the old app serving that
// long before it is stopped (a stop hook, a deregistration pause), so a reload landing at
// the start of the restart meets a live app that is about to go away.
//
//   node dist/bench/rolling/restart-app.js --name server1 --port 9001 --version v2 \
//        --warmup-ms 1500 --state-dir DIR --record FILE [--signal-file FILE --before-stop-ms MS]
import fs from "node:fs";
import { parseArgs } from "node:util";
import { appInputs, restartTimed } from "./apps";

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      name: { type: "string" },
      port: { type: "string" },
      version: { type: "string" },
      "warmup-ms": { type: "string", default: "0" },
      "fail-percent": { type: "string", default: "0" },
      "state-dir": { type: "string" },
      record: { type: "string" },
      "signal-file": { type: "string" },
      "before-stop-ms": { type: "string", default: "0" },
    },
  });
  const { name, port, version, record } = values;
  const stateDir = values["state-dir"];
  if (!name || !port || !version || !stateDir || !record) {
    throw new Error("usage: restart-app.js --name N --port P --version V [--warmup-ms MS] --state-dir DIR --record FILE");
  }
  if (values["signal-file"]) fs.appendFileSync(values["signal-file"], `restarting ${name}\n`);
  const beforeStopMs = Number(values["before-stop-ms"]);
  if (beforeStopMs > 0) await new Promise((resolve) => setTimeout(resolve, beforeStopMs));
  const restart = await restartTimed(appInputs({ name, port: Number(port) }, version, Number(values["warmup-ms"]), stateDir, Number(values["fail-percent"])));
  fs.appendFileSync(record, `${JSON.stringify(restart)}\n`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`restart-app: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
