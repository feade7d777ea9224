// Which @pulumi/pulumi the tests load: the root's dev dependency 3.248.0 (the oldest supported,
// the last for Node 20) or, with HC_TEST_PULUMI_SDK=newest, @pulumi/pulumi-newest (an npm alias
// of the newest release). Loaded first by mocha (.mocharc.json), it points every require of
// @pulumi/pulumi, from the tests and from the library alike, at the chosen copy, so one run
// loads one SDK.
import Module from "node:module";

/** The npm version spec of the newest @pulumi/pulumi the tests use (package.json's alias). */
export const NEWEST_SDK = "@pulumi/pulumi-newest";

export const selectedSdk = process.env.HC_TEST_PULUMI_SDK === "newest" ? NEWEST_SDK : "@pulumi/pulumi";

/** The version of the @pulumi/pulumi this process loads. */
export function sdkVersion(): string {
  return (require(`${selectedSdk}/package.json`) as { version: string }).version;
}

if (selectedSdk !== "@pulumi/pulumi") {
  const resolver = Module as unknown as { _resolveFilename(request: string, ...rest: unknown[]): string };
  const resolve = resolver._resolveFilename;
  resolver._resolveFilename = function (request: string, ...rest: unknown[]): string {
    if (request === "@pulumi/pulumi" || request.startsWith("@pulumi/pulumi/")) request = selectedSdk + request.slice("@pulumi/pulumi".length);
    return resolve.call(this, request, ...rest);
  };
}
