/**
 * A wait that ends at the first of: `ms` passing (when given), `wake()` being called, `signal`
 * aborting. Whatever ends it, its timer and its abort listener go with it — a loop that waits
 * like this every poll leaves nothing behind on a long-lived signal.
 */
export function interruptibleWait(
  signal: AbortSignal | undefined,
  ms?: number
): {done: Promise<void>; wake: () => void} {
  let wake = () => {};
  const done = new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const end = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", end);
      resolve();
    };
    const timer = ms === undefined ? undefined : setTimeout(end, ms);
    wake = end;
    signal?.addEventListener("abort", end, {once: true});
  });
  return {done, wake};
}
