export interface WebhookSender {
  /** Queues a payload; never blocks the caller. */
  send(payload: unknown): void;
  /** Resolves when everything queued was delivered or given up on. */
  drain(): Promise<void>;
}

/**
 * POSTs JSON payloads to a webhook in the background, one at a time, retrying a failure (network
 * error or non-2xx) with exponential backoff; after `maxAttempts` the payload is logged and dropped,
 * so a dead receiver can never stall the pipeline.
 */
export function createWebhookSender({
  url,
  maxAttempts = 4,
  backoffMs = 500,
  log = () => {},
  fetch: doFetch = globalThis.fetch
}: {
  url: string;
  maxAttempts?: number;
  backoffMs?: number;
  log?: (line: string) => void;
  fetch?: typeof globalThis.fetch;
}): WebhookSender {
  const queue: unknown[] = [];
  let running: Promise<void> | undefined;
  const deliver = async (payload: unknown) => {
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      try {
        const response = await doFetch(url, {
          method: "POST",
          headers: {"content-type": "application/json"},
          body: JSON.stringify(payload),
          signal: AbortSignal.timeout(5000)
        });
        if (response.ok) return;
        throw new Error(`HTTP ${response.status}`);
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        if (attempt === maxAttempts)
          return log(
            `webhook: gave up after ${maxAttempts} attempts (${reason}): ${JSON.stringify(payload).slice(0, 120)}`
          );
        log(`webhook: attempt ${attempt} failed (${reason}); retrying in ${backoffMs * 2 ** (attempt - 1)} ms`);
        await new Promise((r) => setTimeout(r, backoffMs * 2 ** (attempt - 1)));
      }
    }
  };
  const pump = async () => {
    while (queue.length) await deliver(queue.shift());
    running = undefined;
  };
  return {
    send(payload) {
      queue.push(payload);
      running ??= pump();
    },
    async drain() {
      while (running) await running;
    }
  };
}
