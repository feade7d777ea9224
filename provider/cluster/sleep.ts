// Abortable sleep for polling loops, and timers that hold for any duration: Node fires a
// setTimeout above 2^31-1 ms (24.8 days) at once, so longer waits are chained.

/** Node's largest timer delay. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Like setTimeout, for any delay (Infinity never fires); returns the canceller. */
export function setLongTimeout(fn: () => void, ms: number): () => void {
  let timer: NodeJS.Timeout | undefined;
  const until = Date.now() + ms;
  const arm = (): void => {
    const left = until - Date.now();
    if (left > MAX_TIMER_MS) timer = setTimeout(arm, MAX_TIMER_MS);
    else timer = setTimeout(fn, Math.max(0, left));
  };
  if (ms !== Infinity) arm();
  return () => clearTimeout(timer);
}

/** Waits `ms` (nothing when ≤ 0); resolves false if the signal aborted first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  if (ms <= 0) return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (value: boolean): void => {
      cancel();
      signal?.removeEventListener("abort", onAbort);
      resolve(value);
    };
    const onAbort = (): void => done(false);
    const cancel = setLongTimeout(() => done(true), ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
