// ServerDrain: while the resource exists, one server of a backend is out of rotation on
// every member; deleting it puts the server back on fresh health checks.

import { z } from "zod";
import * as serverDrain from "../../pulumi/impl/server-drain";
import { serverDrainSchema } from "../../pulumi/impl/inputs";
import { defineResource } from "../definition";

const memberMap = <T extends z.ZodTypeAny>(value: T) => z.record(z.string(), value);

/** What ServerDrain adds to its inputs in state (impl/server-drain.ts's ServerDrainOutputs; a test holds them equal). */
export const serverDrainOutputs = z.object({
  drainedOn: z.array(z.string()).describe("Members on which the server is out of rotation. After `pulumi refresh`, where it really is."),
  failedOn: memberMap(z.string()).describe("Members that could not be changed, with the reason (a partial failure)."),
  drainedAt: z.string().describe("When the server was taken out (ISO 8601)."),
  adminState: memberMap(z.string()).describe("`ready`, `drain` or `maint` per member, as last read."),
  sessionsAtDeadline: memberMap(z.number()).optional().describe("Sessions left per member at the sessions deadline (`proceed` or `shutdown`)."),
  sessionsDeadlineAction: z.enum(["proceed", "shutdown"]).optional().describe("What happened at the sessions deadline, if it was reached."),
  abandonedOn: memberMap(z.string())
    .optional()
    .describe("Members left out of the record because they could not be reached (`abandonUnreachableMembers`), with the reason: a warning."),
  unreadableOn: memberMap(z.string()).optional().describe("Members the last refresh could not read, with the reason; their `drainedOn` entry is the last known one."),
});

export const ServerDrain = defineResource(
  "ServerDrain",
  serverDrain,
  serverDrainSchema,
  "While this resource exists, one server of a backend is out of rotation (drain or maint) on every member. Deleting it puts the server back, on fresh health checks. Partial failures are recorded in state (`drainedOn`, `failedOn`); `pulumi refresh` shows a server put back by hand as drift, which the next `pulumi up` repairs.",
  serverDrainOutputs,
);
