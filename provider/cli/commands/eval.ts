// `eval CODE` / `-e CODE`: JavaScript with the framework in scope, as the original Ruby
// tool's --eval. The code is the body of an async function; its result is the verdict.

import { PULUMI_EXPORTS } from "../../pulumi-lazy";
import type { CommandSpec } from "../args";
import type { Context } from "../context";
import { Exit, UsageError, type ExitCode } from "../exit";

export const spec: CommandSpec = {
  name: "eval",
  summary: "run JavaScript with `cluster` and the library in scope (also -e CODE)",
  takesCode: true,
  usage: `Usage: haproxy-cluster eval CODE [MEMBER...]
       haproxy-cluster -e CODE [MEMBER...]

Runs CODE as the body of an async function (so \`await\` works). In scope:
  cluster          a Cluster over the given members (undefined without members)
  Cluster, Member, ClusterSnapshot, applyServerAction, waitForSessions, HcError, …
                   every export of the library
  sleep(seconds)   resolves after that many seconds
  print(...values) one line on stdout (strings as they are, anything else as JSON)
  require          Node's require

CODE is first tried as one expression (\`await cluster.rate("myapp")\`), whose value is
the result; otherwise as statements, where \`return\` gives the result.

Result: true exits 0; false exits 2; undefined exits 0 and prints nothing; an error
prints its message on stderr and exits 3; anything else is printed (strings and
numbers as they are, objects, arrays and Maps as indented JSON) and exits 0.

Examples:
  haproxy-cluster -e 'await cluster.waitUntilRollingRestartable("myapp", { thresholdPercent: 90, minChecks: 5, timeoutSeconds: 600 }); return true'
  haproxy-cluster -e 'for (;;) { print(await cluster.rate("myapp")); await sleep(1) }'
  haproxy-cluster -e 'await cluster.eachMember((member) => member.disable("myapp", "server3"))'

Options:
  --timeout SECONDS  deadline for each request (same as --request-timeout)`,
  options: { timeout: { type: "string" } },
};

type AsyncFn = (...args: unknown[]) => Promise<unknown>;
const AsyncFunction = Object.getPrototypeOf(async () => undefined).constructor as new (...args: string[]) => AsyncFn;

/** Compiles CODE as `return (CODE)` when that parses, else as the statements it is. */
export function compile(code: string, names: readonly string[]): AsyncFn {
  const expression = code.trim().replace(/;+$/, "");
  try {
    return new AsyncFunction(...names, `return (\n${expression}\n);`);
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw error;
  }
  try {
    return new AsyncFunction(...names, code);
  } catch (error) {
    throw new UsageError(`the code does not parse: ${(error as Error).message}; check the quoting (single quotes around CODE in a shell).`);
  }
}

/** How a value is printed: strings plain, everything else as (indented) JSON, Maps as objects. */
export function show(value: unknown): string {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint" || value === undefined || value === null) return String(value);
  if (value instanceof Error) return value.message;
  return JSON.stringify(
    value,
    (_key, v: unknown) => (v instanceof Map ? Object.fromEntries(v) : v instanceof Set ? [...v] : typeof v === "bigint" ? v.toString() : v),
    2,
  );
}

export async function run(ctx: Context): Promise<ExitCode> {
  const code = ctx.args[0];
  if (code === undefined || code.trim() === "") throw new UsageError("eval needs CODE: haproxy-cluster eval 'return await cluster.rate()' MEMBER...");
  if (ctx.members.length === 0 && /\bcluster\b/.test(code)) {
    throw new UsageError("the code uses `cluster` but no member was given: give members as arguments, with --members-file FILE, or in HAPROXY_CLUSTER_MEMBERS.");
  }
  const library = (await import("../../index")) as Record<string, unknown>;
  const scope: Record<string, unknown> = {};
  // Reading a Pulumi resource export would load @pulumi/pulumi: the CLI leaves them out.
  for (const name of Object.keys(library)) {
    if (/^[A-Za-z_$][\w$]*$/.test(name) && name !== "default" && !PULUMI_EXPORTS.has(name)) scope[name] = library[name];
  }
  Object.assign(scope, {
    cluster: ctx.members.length > 0 ? await ctx.cluster() : undefined,
    sleep: (seconds: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, Number(seconds) * 1000))),
    print: (...values: unknown[]) => ctx.out.data(values.map(show).join(" ")),
    require,
  });
  const fn = compile(code, Object.keys(scope));

  let result: unknown;
  try {
    result = await fn(...Object.values(scope));
  } catch (error) {
    const { isHcError } = library as { isHcError: (e: unknown) => boolean };
    const message = isHcError(error) ? (error as Error).message : error instanceof Error ? `${error.name}: ${error.message}` : `the code threw ${show(error)}`;
    ctx.out.error(message);
    if (error instanceof Error && !isHcError(error)) ctx.out.detail(error.stack ?? "");
    return Exit.UNKNOWN;
  }
  if (result === true || result === undefined) return Exit.OK;
  if (result === false) return Exit.CRITICAL;
  ctx.out.data(show(result));
  return Exit.OK;
}
