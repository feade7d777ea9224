// What the plugin knows of one resource or function of the package: its token, the zod
// schema of its inputs (the one home of their names, defaults, descriptions and secrets,
// which the dynamic resources validate with too), the zod schema of what it adds as
// outputs, and the implementation in provider/pulumi/impl that serves every verb.

import type { z } from "zod";
import type { CheckContext, CheckFailure } from "../pulumi/impl/inputs";
import type { DiffResult, ProviderProps } from "../pulumi/impl/results";
import type { HostOptions } from "../pulumi/impl/rolling-restart";

export const PACKAGE_NAME = "haproxy-cluster";

/**
 * The verbs of a resource, as provider/pulumi/impl implements them for the dynamic providers.
 * `host` carries what only the plugin has (the engine's log); resources without use for it ignore it.
 */
export interface ResourceImplementation {
  check(olds: ProviderProps, news: ProviderProps, context?: CheckContext): { inputs: ProviderProps; failures: CheckFailure[] };
  diff(id: string, olds: ProviderProps, news: ProviderProps): DiffResult;
  create(props: ProviderProps, host?: HostOptions): Promise<{ id: string; outs: ProviderProps }>;
  update(id: string, olds: ProviderProps, news: ProviderProps, host?: HostOptions): Promise<{ outs: ProviderProps }>;
  remove(id: string, props: ProviderProps): Promise<void>;
  read(id: string, props: ProviderProps): Promise<{ id: string; props: ProviderProps }>;
}

type ObjectSchema = z.ZodObject<z.ZodRawShape>;

export interface ResourceDefinition {
  kind: "resource";
  /** `haproxy-cluster:index:<Name>`. */
  token: string;
  description: string;
  inputs: ObjectSchema;
  /** Properties the resource adds to its inputs in state (none when absent). */
  outputs?: ObjectSchema;
  impl: ResourceImplementation;
}

export interface FunctionDefinition {
  kind: "function";
  token: string;
  description: string;
  inputs: ObjectSchema;
  outputs: ObjectSchema;
  invoke(args: ProviderProps): Promise<object>;
}

export type Definition = ResourceDefinition | FunctionDefinition;

export function tokenOf(name: string): string {
  return `${PACKAGE_NAME}:index:${name}`;
}

export function defineResource(name: string, impl: ResourceImplementation, inputs: ObjectSchema, description: string, outputs?: ObjectSchema): ResourceDefinition {
  return { kind: "resource", token: tokenOf(name), description, inputs, outputs, impl };
}

export function defineFunction(name: string, invoke: FunctionDefinition["invoke"], inputs: ObjectSchema, outputs: ObjectSchema, description: string): FunctionDefinition {
  return { kind: "function", token: tokenOf(name), description, inputs, outputs, invoke };
}
