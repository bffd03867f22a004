import {LabError} from "../../core/errors.js";

export interface RestPacing {
  /** At least this long between two requests (Binance's depth at limit 1000 weighs 50 of 6,000 a minute). */
  minIntervalMs: number;
  /** Back-off after a refusal (429, 418), a server error or a failed connection: doubled each time up to `maxMs`. */
  initialMs: number;
  maxMs: number;
}

export const DEFAULT_SNAPSHOT_PACING: RestPacing = {minIntervalMs: 1000, initialMs: 1000, maxMs: 120_000};

/** Waits `ms`, or less if `signal` aborts (then rejects with its reason). */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    };
    const onAbort = () => (done(), reject(signal!.reason as Error));
    const timer = setTimeout(() => (done(), resolve()), ms);
    signal?.addEventListener("abort", onAbort, {once: true});
  });
}

/**
 * GETs JSON from one REST endpoint, politely: requests are at least `minIntervalMs` apart, and a
 * refusal (HTTP 429, 418 — Binance's ban — or 5xx) or a failed request is retried after an
 * exponential back-off with jitter, or after the server's Retry-After if that is longer; the
 * back-off resets after a success. Any other HTTP error is thrown. One pacer is shared by every
 * connection of a capture, so a reconnect does not start the back-off over.
 */
export class RestPacer {
  private nextAt = 0;
  private failures = 0;
  /** Requests sent, and refusals or failures met (for tests and summaries). */
  requests = 0;
  refusals = 0;

  constructor(
    private readonly options: {
      baseUrl: string;
      pacing: RestPacing;
      log?: (line: string) => void;
    }
  ) {}

  async get<T>({path, signal}: {path: string; signal?: AbortSignal}): Promise<T> {
    const {baseUrl, pacing, log = () => {}} = this.options;
    for (;;) {
      await sleep(Math.max(0, this.nextAt - Date.now()), signal);
      this.nextAt = Date.now() + pacing.minIntervalMs;
      this.requests++;
      let why: string;
      let retryAfterMs = 0;
      // Each request gets its own controller, tied to `signal` only while it runs: fetch leaves its
      // abort listener on a signal it is given, and a long capture makes thousands of requests.
      const request = new AbortController();
      const abort = () => request.abort(signal?.reason);
      signal?.addEventListener("abort", abort, {once: true});
      try {
        const res = await fetch(`${baseUrl}${path}`, {signal: request.signal});
        if (res.ok) {
          this.failures = 0;
          return (await res.json()) as T;
        }
        const body = await res.text();
        if (res.status !== 429 && res.status !== 418 && res.status < 500)
          throw new LabError({reason: `GET ${baseUrl}${path}: HTTP ${res.status} ${body}`});
        why = `HTTP ${res.status}`;
        retryAfterMs = Number(res.headers.get("retry-after") ?? 0) * 1000 || 0;
      } catch (error) {
        if (signal?.aborted || error instanceof LabError) throw error;
        why = (error as Error).message;
      } finally {
        signal?.removeEventListener("abort", abort);
      }
      this.refusals++;
      const backoff = Math.min(pacing.maxMs, pacing.initialMs * 2 ** this.failures++) * (0.5 + Math.random() / 2);
      const wait = Math.max(backoff, retryAfterMs);
      this.nextAt = Math.max(this.nextAt, Date.now() + wait);
      log(`GET ${path}: ${why}; retrying in ${wait.toFixed(0)} ms`);
    }
  }
}
