// BackendServer: while the resource exists, a server added at run time is in a backend on
// every member; create returns once it serves on fresh checks, delete removes it behind
// the capacity guard, and a replacement adds the new server before the old one leaves.

import { z } from "zod";
import * as backendServer from "../../pulumi/impl/backend-server";
import { backendServerSchema } from "../../pulumi/impl/inputs";
import { defineResource } from "../definition";

const memberMap = <T extends z.ZodTypeAny>(value: T) => z.record(z.string(), value);

/** What BackendServer adds to its inputs in state (impl/backend-server.ts's BackendServerOutputs; a test holds them equal). */
export const backendServerOutputs = z.object({
  addedOn: z.array(z.string()).describe("Members holding the server. After `pulumi refresh`, where it really is (a reload forgets servers added at run time)."),
  failedOn: memberMap(z.string()).describe("Members that could not be changed, or where the server did not serve by the deadline, with the reason (a partial failure)."),
  addedAt: z.string().describe("When the server was added (ISO 8601)."),
  settings: z.string().describe("The `add server` settings after the address, as sent to every member (`check inter 2000 rise 2 fall 3 weight 1`)."),
  status: memberMap(z.string()).describe("HAProxy's status of the server per member at the last read (`UP`, `DOWN`, `MAINT`…)."),
  abandonedOn: memberMap(z.string())
    .optional()
    .describe("Members left out of the record because they could not be reached (`abandonUnreachableMembers`), with the reason: a warning."),
  unreadableOn: memberMap(z.string()).optional().describe("Members the last refresh could not read, with the reason; their `addedOn` entry is the last known one."),
});

export const BackendServer = defineResource(
  "BackendServer",
  backendServer,
  backendServerSchema,
  "While this resource exists, a server added at run time (`add server`) is in a backend on every member; the members must be Runtime API sockets. Create adds it out of rotation with health checks like the backend's servers and returns once it serves on fresh checks on every member; delete drains it behind the capacity guard, waits for its sessions as asked and removes it. An address change replaces it: the new server (a new generated name, unless `server` is given) is added and serving before the old one is removed. `pulumi refresh` shows a member that lost the server (a reload forgets servers added at run time) as drift, and the next `pulumi up` adds it there again. Partial failures are recorded in state (`addedOn`, `failedOn`).",
  backendServerOutputs,
);
