// Secrets across the plugin's gRPC boundary. The Node provider server answers Configure
// with acceptSecrets, so secret inputs arrive wrapped (`{<sig>: <secret sig>, value}`) and
// the engine keeps an output secret only when the provider returns it wrapped: the
// implementation sees plain values, and everything it returns has the always-secret inputs
// (password, SSH key material) and whatever arrived secret wrapped again.

import { specialOutputValueSig, specialSecretSig, specialSigKey, unknownValue } from "@pulumi/pulumi/runtime/rpc";
import type { ProviderProps } from "../pulumi/impl/results";
import { SECRET_INPUTS } from "../pulumi/impl/inputs";

function signature(value: unknown): string | undefined {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? ((value as Record<string, unknown>)[specialSigKey] as string | undefined) : undefined;
}

/** Plain values, secrets and output values unwrapped at any depth; an unknown output value becomes the unknown sentinel. */
export function unwrap(value: unknown): unknown {
  const sig = signature(value);
  const v = value as Record<string, unknown>;
  if (sig === specialSecretSig) return unwrap(v.value);
  if (sig === specialOutputValueSig) return "value" in v ? unwrap(v.value) : unknownValue;
  if (Array.isArray(value)) return value.map(unwrap);
  if (value !== null && typeof value === "object" && sig === undefined) return Object.fromEntries(Object.entries(value).map(([k, x]) => [k, unwrap(x)]));
  return value;
}

/** True when a secret is anywhere inside. */
function holdsSecret(value: unknown): boolean {
  const sig = signature(value);
  if (sig === specialSecretSig) return true;
  if (sig === specialOutputValueSig) return (value as { secret?: boolean }).secret === true || holdsSecret((value as { value?: unknown }).value);
  if (Array.isArray(value)) return value.some(holdsSecret);
  if (value !== null && typeof value === "object") return Object.values(value).some(holdsSecret);
  return false;
}

/** A property bag from the engine, unwrapped, with the names of the properties that held a secret. */
export function unwrapProps(props: ProviderProps | undefined): { plain: ProviderProps; secretKeys: Set<string> } {
  const bag = props ?? {};
  const secretKeys = new Set(Object.keys(bag).filter((k) => holdsSecret(bag[k])));
  return { plain: unwrap(bag) as ProviderProps, secretKeys };
}

export function secret(value: unknown): Record<string, unknown> {
  return { [specialSigKey]: specialSecretSig, value };
}

/**
 * A bag for the engine: undefined dropped (a protobuf Struct cannot carry it), and the
 * always-secret properties and `alsoSecret` wrapped as secrets, so that state holds them
 * encrypted and the engine prints `[secret]`.
 */
export function forEngine(props: ProviderProps, alsoSecret: ReadonlySet<string> = new Set()): ProviderProps {
  const out: ProviderProps = {};
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined) continue;
    const clean = JSON.parse(JSON.stringify(value)) as unknown;
    out[key] = ((SECRET_INPUTS as readonly string[]).includes(key) || alsoSecret.has(key)) && value !== unknownValue ? secret(clean) : clean;
  }
  return out;
}
