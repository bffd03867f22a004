import {mkdtempSync, rmSync, writeFileSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {startBinanceFeed} from "../src/lib/market/live/binance-feed-server.js";
import {captureBinance} from "../src/lib/market/live/capture.js";
import {binanceRecording} from "../test/market/binance-recording.js";

/**
 * Capture throughput on a real-format recording (`<local ns> <json>` lines; 8-decimal price
 * strings, levels far from the mid, the snapshot after the first diffs) against the same
 * messages with 2-decimal prices: each replayed by the local feed far faster than a capture can
 * take it in (×`speed`), the capture's rate measured from its first message to its last. Real
 * instruments quote 8 decimals; a capture slower on them than on the rounded file would be
 * paying for the decimals, not the messages. After a warm-up, rounds alternate the two files; medians.
 */
export async function captureDecimals({
  diffs = 20_000,
  speed = 10_000,
  rounds = 5,
  log
}: {
  diffs?: number;
  speed?: number;
  rounds?: number;
  log: (line: string) => void;
}): Promise<{msgs8: number; msgs2: number; messages: number}> {
  const dir = mkdtempSync(join(tmpdir(), "bench-capture-decimals-"));
  try {
    const rec = binanceRecording({diffs});
    // A first message 1.5 s (feed time ÷ speed) ahead of the recording: the capture connects and
    // subscribes before the recording's messages start.
    const first = BigInt(rec.lines[0]!.slice(0, rec.lines[0]!.indexOf(" ")));
    const lead = `${first - BigInt(Math.round(1.5e9 * speed))} ${JSON.stringify({stream: "btcusdt@trade", data: {e: "trade", E: 1, s: "BTCUSDT", t: 1, p: "1.00000000", q: "1.00000000", T: 1, m: true}})}`;
    const text = `${lead}\n${rec.text}`;
    const files = {8: join(dir, "recording-8dp.txt"), 2: join(dir, "recording-2dp.txt")};
    writeFileSync(files[8], text);
    writeFileSync(files[2], text.replace(/"(\d+\.\d\d)000000"/g, '"$1"'));
    const rates: Record<8 | 2, number[]> = {8: [], 2: []};
    // A first capture to warm the code up (its rate is left out), then the files in turn, each
    // first as often as second (8, 2, 2, 8, …).
    await captureRate({path: files[8], dir: join(dir, "warm-up"), speed});
    for (let k = 0; k < 2 * rounds; k++) {
      const decimals = (k % 4 === 0 || k % 4 === 3 ? 8 : 2) as 8 | 2;
      rates[decimals].push(await captureRate({path: files[decimals], dir: join(dir, `out-${k}`), speed}));
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
    log(
      `capture of ${rec.lines.length.toLocaleString("en-US")} recorded messages: 8 decimals ${rates[8].map((r) => r.toFixed(0)).join(", ")} msgs/s; 2 decimals ${rates[2].map((r) => r.toFixed(0)).join(", ")} msgs/s`
    );
    return {msgs8: median(rates[8]), msgs2: median(rates[2]), messages: rec.lines.length};
  } finally {
    rmSync(dir, {recursive: true, force: true});
  }
}

/** One capture of a recording replayed at `speed`: messages a second from its first recorded message to its last. */
async function captureRate({path, dir, speed}: {path: string; dir: string; speed: number}): Promise<number> {
  const feed = await startBinanceFeed({replay: path, speed});
  const controller = new AbortController();
  let written = 0;
  const start = performance.now();
  const run = captureBinance({
    wsUrl: feed.wsUrl,
    restUrl: feed.url,
    symbol: "BTCUSDT",
    outDir: dir,
    gzip: true,
    signal: controller.signal,
    onMessage: (n) => (written = n)
  });
  // The lead message; then the recording, timed until the capture has written nothing new for 1 s.
  while (written < 1 && performance.now() - start < 10_000) await new Promise((r) => setTimeout(r, 2));
  const w0 = written,
    t0 = performance.now();
  let last = written,
    changed = t0;
  while (performance.now() - changed < 1000 && performance.now() - start < 120_000) {
    await new Promise((r) => setTimeout(r, 2));
    if (written !== last) ((last = written), (changed = performance.now()));
  }
  controller.abort();
  await run;
  await feed.close();
  return (written - w0) / ((changed - t0) / 1000);
}
