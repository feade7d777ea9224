// RollingRestart: restarts a backend's servers batch by batch with a command the plugin runs
// (an argv, so any Pulumi language can pass it): gate → drain → command, drain held across
// reloads → back on fresh checks → analysis → next batch. Its outputs' schema is the impl's.

import * as rollingRestart from "../../pulumi/impl/rolling-restart";
import { rollingRestartSchema } from "../../pulumi/impl/inputs";
import { defineResource } from "../definition";

export const RollingRestart = defineResource(
  "RollingRestart",
  rollingRestart,
  rollingRestartSchema,
  "Restarts a backend's servers batch by batch with a command run on the machine that runs `pulumi`: before each batch it waits until the backend is rolling-restart safe on every member, drains the batch, runs the command once per server (the server's name and address in its environment, its output in Pulumi's log, a deadline) while the drain is held across reloads, puts the batch back on fresh checks and judges it if `analysis` is set. A failing command or verdict stops the run with that server left drained and recorded in `drainedServers`; the next `pulumi up` restarts it first. Changing `triggers`, `command`, `backend` or `servers` runs it again.",
  rollingRestart.rollingRestartOutputs,
);
