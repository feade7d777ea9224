// Child-process entry that loads a serialized dynamic provider (a resource's
// `__provider` text) the way Pulumi's provider process does, in the project directory,
// and serves its methods: one JSON request per line on stdin
// (`{"id":1,"method":"create","args":[...]}`), one JSON reply per line on fd 3 (stdout
// and stderr stay free for what the provider itself prints).
//
//   node provider-host.js <provider-text-file>   (run with cwd = the Pulumi project directory)

import fs from "node:fs";
import readline from "node:readline";

export interface HostRequest {
  id: number;
  method: "check" | "diff" | "create" | "update" | "delete" | "read";
  args: unknown[];
}

export interface HostReply {
  id: number;
  result?: unknown;
  error?: { message: string; properties?: unknown };
}

const text = fs.readFileSync(process.argv[2]!, "utf8");
// The provider process uses require-from-string on the same text; resolve it from the
// project's SDK so the module paths (the project's node_modules) are the same.
const sdk = require.resolve("@pulumi/pulumi", { paths: [process.cwd()] });
const requireFromString = require(require.resolve("require-from-string", { paths: [sdk] })) as (code: string) => { handler: () => Record<string, (...args: unknown[]) => Promise<unknown>> };
const provider = requireFromString(text).handler();

const replies = fs.createWriteStream("", { fd: 3 });
const reply = (message: HostReply): void => void replies.write(`${JSON.stringify(message)}\n`);

const requests = readline.createInterface({ input: process.stdin });
// Once the caller closes stdin, nothing more will be asked: let the process end.
requests.on("close", () => replies.end());
requests.on("line", (line) => {
  const request = JSON.parse(line) as HostRequest;
  const method = provider[request.method];
  if (!method) {
    reply({ id: request.id, error: { message: `the provider has no ${request.method} method` } });
    return;
  }
  Promise.resolve()
    .then(() => method.apply(provider, request.args))
    .then(
      (result) => reply({ id: request.id, result: result ?? null }),
      (error: unknown) => {
        const err = error as Error & { properties?: unknown };
        reply({ id: request.id, error: { message: err?.message ?? String(error), properties: err?.properties } });
      },
    );
});
