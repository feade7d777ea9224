// One row per action a user can ask of servers: the admin state it asks HAProxy for, whether
// it takes servers out (and so passes the capacity guard), what a wait after it holds across
// reloads, and its words. The model, the cluster framework, the hold and the CLI read their
// rules here. A leaf module like policy.ts: it imports nothing, every layer may import it.

/** HAProxy's admin states of a server. */
export type AdminState = "ready" | "drain" | "maint";

/** What a hold keeps across reloads: an admin state, or coming back on fresh health checks only. */
export type HeldState = "drain" | "maint" | "fresh-checks";

export interface ActionRow {
  /** The admin state it asks for; none for actions that leave the admin state alone (weight). */
  sets?: AdminState;
  /** It takes servers out of rotation: the capacity guard runs first. */
  takesOut: boolean;
  /** What a wait after it keeps across reloads. */
  holds?: HeldState;
  /** The state waited for, in words ("drained"). */
  goal?: string;
  /** What a report says was done ("in maintenance"). */
  done: string;
  /** The command that undoes it on the members where it happened; TARGET stands for the backend, servers and members. */
  undo?: string;
}

const PUT_BACK: ActionRow = { sets: "ready", takesOut: false, holds: "fresh-checks", goal: "serving on fresh health checks", done: "ready", undo: "drain TARGET (or maint, as they were)" };
const MAINT: ActionRow = { sets: "maint", takesOut: true, holds: "maint", goal: "in maintenance", done: "in maintenance", undo: "ready TARGET" };

/** Every action, by the name the CLI and the library use (`enable`/`disable` are the original tool's names for ready/maint). */
export const ACTIONS = {
  ready: PUT_BACK,
  enable: PUT_BACK,
  drain: { sets: "drain", takesOut: true, holds: "drain", goal: "drained", done: "drained", undo: "ready TARGET" },
  maint: MAINT,
  disable: MAINT,
  weight: { takesOut: false, done: "weight set", undo: "weight TARGET --weight <the previous weight>" },
  "shutdown-sessions": { takesOut: false, done: "sessions shut down" },
} as const satisfies Record<string, ActionRow>;

export type ActionName = keyof typeof ACTIONS;

/** The row of an action (typed for lookups by a name known only at run time). */
export function actionRow(action: ActionName): ActionRow {
  return ACTIONS[action];
}

/**
 * Changes that add, remove or move a server (cluster/server-lifecycle.ts): the same row
 * shape, so that their words, whether they pass the capacity guard and the way back live
 * beside the admin actions'. They set no admin state of their own: each ends in one of
 * the actions above (`ready` on fresh checks, or `maint` before the delete).
 */
export const SERVER_CHANGES = {
  "add-server": { takesOut: false, goal: "serving on fresh health checks", done: "added", undo: "remove-server TARGET" },
  "remove-server": { takesOut: true, done: "removed", undo: "add-server TARGET --address HOST:PORT (and add it to the configuration, if it was there)" },
  "set-address": { takesOut: true, goal: "serving on fresh health checks", done: "moved", undo: "set-address TARGET --address <the previous address>" },
} as const satisfies Record<string, ActionRow>;

export type ServerChangeName = keyof typeof SERVER_CHANGES;
