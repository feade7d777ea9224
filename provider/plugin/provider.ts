// The plugin's provider: every verb looks its resource up by the URN's type token (or the
// function by its token) in tokens.ts and hands plain inputs to the implementation in
// provider/pulumi/impl, the same code that serves the Node dynamic resources, so inputs,
// defaults, outputs, errors and guarantees are the same. This layer only translates:
// secrets in and out (secrets.ts), partial failures into the engine's init errors, and a
// resource's log lines into the engine's diagnostics (engine-log.ts).

import type * as provider from "@pulumi/pulumi/provider";
import { HcError } from "../errors";
import type { PartialFailureError, ProviderProps } from "../pulumi/impl/results";
import { PACKAGE_NAME, type ResourceDefinition } from "./definition";
import { engineLog } from "./engine-log";
import { pulumiSchema } from "./schema";
import { forEngine, unwrapProps } from "./secrets";
import { FUNCTIONS, RESOURCES } from "./tokens";

/** `urn:pulumi:stack::project::[parent$]type::name` → `type`. */
export function typeOfUrn(urn: string): string {
  const qualified = urn.split("::")[2] ?? "";
  return qualified.split("$").pop() ?? "";
}

function resourceOf(urn: string): ResourceDefinition {
  const type = typeOfUrn(urn);
  const found = RESOURCES.get(type);
  if (!found) throw new HcError("HC_BAD_SPEC", `the ${PACKAGE_NAME} plugin has no resource type ${type}; it serves ${[...RESOURCES.keys()].join(", ")}.`);
  return found;
}

/** A partial failure keeps its record in state: its properties get the same secret wrapping as any output. */
function withSecretRecord(error: unknown, secretKeys: ReadonlySet<string>): unknown {
  const partial = error as Partial<PartialFailureError>;
  if (error instanceof Error && typeof partial.id === "string" && partial.properties) {
    const { __provider: _dynamicOnly, ...record } = partial.properties;
    // Not enumerable, as impl/results.ts makes it: an inspected error must not print the record.
    Object.defineProperty(error, "properties", { value: forEngine(record, secretKeys), enumerable: false, writable: true, configurable: true });
  }
  return error;
}

export class HaproxyClusterProvider implements provider.Provider {
  constructor(readonly version: string) {}

  async getSchema(): Promise<string> {
    return JSON.stringify(pulumiSchema(this.version));
  }

  async check(urn: string, olds: ProviderProps, news: ProviderProps): Promise<provider.CheckResult> {
    const { impl } = resourceOf(urn);
    const oldBag = unwrapProps(olds);
    const newBag = unwrapProps(news);
    const { inputs, failures } = impl.check(oldBag.plain, newBag.plain, { resourceName: urn.split("::").pop() });
    // The checked inputs are what state records as inputs: secrets stay wrapped there too.
    return { inputs: forEngine(inputs, newBag.secretKeys), failures };
  }

  async diff(id: string, urn: string, olds: ProviderProps, news: ProviderProps): Promise<provider.DiffResult> {
    return resourceOf(urn).impl.diff(id, unwrapProps(olds).plain, unwrapProps(news).plain);
  }

  async create(urn: string, inputs: ProviderProps): Promise<provider.CreateResult> {
    const { impl } = resourceOf(urn);
    const { plain, secretKeys } = unwrapProps(inputs);
    const host = engineLog(urn);
    try {
      const { id, outs } = await impl.create(plain, host);
      return { id, outs: forEngine(outs, secretKeys) };
    } catch (error) {
      throw withSecretRecord(error, secretKeys);
    } finally {
      await host.flushed();
    }
  }

  async update(id: string, urn: string, olds: ProviderProps, news: ProviderProps): Promise<provider.UpdateResult> {
    const { impl } = resourceOf(urn);
    const { plain, secretKeys } = unwrapProps(news);
    const host = engineLog(urn);
    try {
      const { outs } = await impl.update(id, unwrapProps(olds).plain, plain, host);
      return { outs: forEngine(outs, secretKeys) };
    } catch (error) {
      throw withSecretRecord(error, secretKeys);
    } finally {
      await host.flushed();
    }
  }

  async delete(id: string, urn: string, props: ProviderProps): Promise<void> {
    await resourceOf(urn).impl.remove(id, unwrapProps(props).plain);
  }

  async read(id: string, urn: string, props?: ProviderProps): Promise<provider.ReadResult> {
    const { plain, secretKeys } = unwrapProps(props);
    const result = await resourceOf(urn).impl.read(id, plain);
    // A record moved over from the dynamic resource (an alias) still carries its serialized
    // provider; the plugin has no use for it, so a refresh leaves it out of state.
    const { __provider: _dynamicOnly, ...record } = result.props;
    return { id: result.id, props: forEngine(record, secretKeys) };
  }

  async invoke(token: string, inputs: ProviderProps): Promise<provider.InvokeResult> {
    const fn = FUNCTIONS.get(token);
    if (!fn) throw new HcError("HC_BAD_SPEC", `the ${PACKAGE_NAME} plugin has no function ${token}; it serves ${[...FUNCTIONS.keys()].join(", ")}.`);
    const { plain } = unwrapProps(inputs);
    // The answer holds no input (the password stays out of it): it is not secret.
    return { outputs: forEngine({ ...(await fn.invoke(plain)) }) };
  }
}
