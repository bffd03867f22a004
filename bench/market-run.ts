/**
 * Child process of the market benchmark: in one process, a read-only scan of the inputs through
 * the replay's own reader, then the full replay (read, merge, replay, write market_events); prints
 * one JSON line with both rates and this process's peak RSS. `--replay-only` skips the scan, so
 * the peak belongs to the replay alone.
 */
import {rmSync} from "node:fs";
import {join} from "node:path";
import {reconstructMarket} from "../src/lib/market/reconstruct.js";

const [dir, mode] = process.argv.slice(2);
const inputs = {trades: join(dir!, "history", "trades.parquet"), book: join(dir!, "history", "book.parquet"), deltas: join(dir!, "history", "book_delta_v2.parquet")};
const out = join(dir!, "replay-out");
// CPU-seconds of the whole process (every thread: JavaScript, the writer, DuckDB) during each.
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
let scan: {events: number; seconds: number} | undefined;
let scanCpu: number | null = null;
if (mode !== "--replay-only") {
  const c0 = cpu();
  scan = await reconstructMarket({inputs, strategy: "full_event_replay", outDir: out, scanOnly: true});
  scanCpu = cpu() - c0;
}
const c0 = cpu();
const replay = await reconstructMarket({inputs, strategy: "full_event_replay", outDir: out});
const replayCpu = cpu() - c0;
rmSync(out, {recursive: true, force: true});
console.log(JSON.stringify({events: replay.events, replay_s: replay.seconds, replay_cpu_s: replayCpu, scan_rows: scan?.events ?? null, scan_s: scan?.seconds ?? null, scan_cpu_s: scanCpu, peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024)}));
