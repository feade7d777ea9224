// Go for the SDK tests: the toolchain (a test fails with one sentence when it is missing) and
// its commands with the environment the repository's Go modules build with.
import { execFile } from "node:child_process";
import { promisify } from "node:util";

/** A build of pulumi's modules: no workspace, the module proxy, pulumi's own modules past a checksum database that lacks them here. */
export function goEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const gonosumdb = [process.env.GONOSUMDB, "github.com/pulumi"].filter(Boolean).join(",");
  return { ...process.env, GOWORK: "off", GOFLAGS: "-buildvcs=false", GONOSUMDB: gonosumdb, ...extra };
}

/** Runs `go args` in cwd; a missing Go fails with one sentence saying what to install. */
export async function go(args: string[], cwd: string, timeoutMs = 20 * 60_000): Promise<string> {
  try {
    const { stdout, stderr } = await promisify(execFile)("go", args, { cwd, env: goEnv(), timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 });
    return stdout + stderr;
  } catch (error) {
    const { code, stdout = "", stderr = "" } = error as { code?: string; stdout?: string; stderr?: string };
    if (code === "ENOENT") throw new Error("go is not installed: install Go >= 1.24 to build the Go SDK and the Go program.");
    throw new Error(`go ${args.join(" ")} in ${cwd} failed: ${(error as Error).message}\n${stdout}${stderr}`);
  }
}
