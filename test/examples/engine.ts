// A stand-in for the Pulumi engine's `up`, enough to run the examples' dynamic resources
// for real without the CLI: it takes the resources a mock run declared and drives their
// serialized providers (each in a provider host in the project directory) in dependency
// order, as the engine does: check, then create, or diff and update or replace; deletes
// of replaced and removed resources come last. One step at a time, never in parallel.

import { startProviderHost, type MockRunResult, type ProviderHost, type RecordedResource } from "./harness";

export interface StateEntry {
  type: string;
  id: string;
  /** The provider's outputs, which later steps receive as `olds` (as the engine keeps them). */
  outputs: Record<string, unknown>;
  providerText: string;
  dependencies: string[];
}

/** The stack's state between runs, by resource name. */
export type EngineState = Map<string, StateEntry>;

export interface Step {
  op: "create" | "update" | "replace" | "same" | "delete";
  name: string;
}

export class MiniEngine {
  readonly state: EngineState = new Map();
  /** Every step of every run, in the order taken. */
  readonly steps: Step[] = [];
  private readonly hosts = new Map<string, Promise<ProviderHost>>();

  constructor(private readonly projectDir: string) {}

  private host(providerText: string): Promise<ProviderHost> {
    let host = this.hosts.get(providerText);
    if (!host) {
      host = startProviderHost(providerText, this.projectDir);
      this.hosts.set(providerText, host);
    }
    return host;
  }

  /** `pulumi up` of what a mock run declared. Fails at the first failing step, like the engine. */
  async up(run: MockRunResult, onStep?: (step: Step) => void | Promise<void>): Promise<void> {
    if (run.error !== undefined) throw new Error(`the program failed: ${run.error}`);
    const custom = run.resources.filter((r) => r.custom);
    const deferredDeletes: Array<{ name: string; entry: StateEntry }> = [];
    const record = async (step: Step): Promise<void> => {
      this.steps.push(step);
      await onStep?.(step);
    };
    for (const resource of topologicalOrder(custom)) {
      const providerText = resource.providerText;
      if (!providerText) throw new Error(`${resource.name} is not a dynamic resource: the mini engine cannot run it`);
      const host = await this.host(providerText);
      const news = { ...resource.inputs, __provider: providerText };
      const old = this.state.get(resource.name);
      const checked = await host.call<{ inputs: Record<string, unknown>; failures?: Array<{ property: string; reason: string }> }>("check", old?.outputs ?? {}, news);
      if (checked.failures && checked.failures.length > 0) {
        throw new Error(`${resource.name}: check failed: ${checked.failures.map((f) => `${f.property}: ${f.reason}`).join("; ")}`);
      }
      const inputs = { ...checked.inputs, __provider: providerText };
      const entry = (id: string, outputs: Record<string, unknown>): StateEntry => ({ type: resource.type, id, outputs: { ...outputs, __provider: providerText }, providerText, dependencies: resource.dependencies });
      if (!old) {
        const { id, outs } = await host.call("create", inputs);
        this.state.set(resource.name, entry(id, outs));
        await record({ op: "create", name: resource.name });
        continue;
      }
      const diff = await host.call<{ changes?: boolean; replaces?: string[]; deleteBeforeReplace?: boolean }>("diff", old.id, old.outputs, inputs);
      if (diff.replaces && diff.replaces.length > 0) {
        if (diff.deleteBeforeReplace) await (await this.host(old.providerText)).call("delete", old.id, old.outputs);
        else deferredDeletes.push({ name: resource.name, entry: old });
        const { id, outs } = await host.call("create", inputs);
        this.state.set(resource.name, entry(id, outs));
        await record({ op: "replace", name: resource.name });
      } else if (diff.changes) {
        const { outs } = await host.call("update", old.id, old.outputs, inputs);
        this.state.set(resource.name, entry(old.id, outs));
        await record({ op: "update", name: resource.name });
      } else {
        await record({ op: "same", name: resource.name });
      }
    }
    // Resources gone from the program are deleted after every create and update, dependents first.
    const declared = new Set(custom.map((r) => r.name));
    const gone = [...this.state.keys()].filter((name) => !declared.has(name)).reverse();
    for (const name of gone) {
      const old = this.state.get(name)!;
      await (await this.host(old.providerText)).call("delete", old.id, old.outputs);
      this.state.delete(name);
      await record({ op: "delete", name });
    }
    for (const { entry } of deferredDeletes) await (await this.host(entry.providerText)).call("delete", entry.id, entry.outputs);
  }

  /** `pulumi destroy`: deletes everything, dependents first. */
  async destroy(): Promise<void> {
    for (const name of [...this.state.keys()].reverse()) {
      const old = this.state.get(name)!;
      await (await this.host(old.providerText)).call("delete", old.id, old.outputs);
      this.state.delete(name);
      this.steps.push({ op: "delete", name });
    }
  }

  /** Stops the provider hosts (not what they started). */
  async close(): Promise<void> {
    const hosts = await Promise.allSettled(this.hosts.values());
    await Promise.all(hosts.flatMap((h) => (h.status === "fulfilled" ? [h.value.stop()] : [])));
    this.hosts.clear();
  }
}

/** The resources, each after everything it depends on (stable in registration order otherwise). */
function topologicalOrder(resources: RecordedResource[]): RecordedResource[] {
  const byName = new Map(resources.map((r) => [r.name, r]));
  const done = new Set<string>();
  const order: RecordedResource[] = [];
  const visit = (r: RecordedResource, path: string[]): void => {
    if (done.has(r.name)) return;
    if (path.includes(r.name)) throw new Error(`dependency cycle: ${[...path, r.name].join(" → ")}`);
    for (const dep of r.dependencies) {
      const d = byName.get(dep);
      if (d) visit(d, [...path, r.name]);
    }
    done.add(r.name);
    order.push(r);
  };
  for (const r of resources) visit(r, []);
  return order;
}
