/**
 * Child process of the market benchmark: in one process, a read-only scan of the inputs through
 * the replay's own reader, then the full replay (read, merge, replay, write market_events); prints
 * one JSON line with both rates (each round's under `rounds`) and this process's peak RSS.
 * `--replay-only` skips the scan, so the peak belongs to the replay alone.
 */
import {readFileSync, rmSync} from "node:fs";
import {join} from "node:path";
import {reconstructMarket} from "../src/lib/market/replay/reconstruct.js";
import {scanMarketInputs, type ScanReplayRound} from "./market-scan.js";

const [dir, mode] = process.argv.slice(2);
const inputs = {
  trades: join(dir!, "history", "trades.parquet"),
  book: join(dir!, "history", "book.parquet"),
  deltas: join(dir!, "history", "book_delta_v2.parquet")
};
const out = join(dir!, "replay-out");
// CPU-seconds of the whole process (every thread: JavaScript, the writer, DuckDB) during each.
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
// And of the main thread alone (the replay's critical path): Linux's per-thread counters.
const mainCpu = (): number | null => {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, "utf-8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
};
const since = (start: number | null) => {
  const now = mainCpu();
  return start === null || now === null ? null : +(now - start).toFixed(2);
};
// Rounds (`--rounds N`, default 1): a scan and a replay, N times over, so a bench can take the
// median of several pairs on a machine whose speed drifts between and within runs.
const roundsAt = process.argv.indexOf("--rounds");
const rounds = roundsAt > 0 ? Math.max(1, Math.floor(Number(process.argv[roundsAt + 1])) || 1) : 1;
const runs: ScanReplayRound[] = [];
// Odd rounds scan first, even rounds replay first: this machine runs faster for a while after
// being idle, so a fixed order would favour whichever pass comes first.
const scanPass = async () => {
  const c0 = cpu(),
    m0 = mainCpu();
  const scan = await scanMarketInputs({inputs, outDir: out});
  return {scan, scanCpu: cpu() - c0, scanMain: since(m0)};
};
const replayPass = async () => {
  const c0 = cpu(),
    m0 = mainCpu();
  const replay = await reconstructMarket({
    inputs,
    strategy: "full_event_replay",
    outDir: out,
    symbol: "BTCUSDT",
    dataset: "bench"
  });
  const replayCpu = cpu() - c0,
    replayMain = since(m0);
  rmSync(out, {recursive: true, force: true});
  return {replay, replayCpu, replayMain};
};
for (let k = 0; k < rounds; k++) {
  const withScan = mode !== "--replay-only";
  const s1 = withScan && k % 2 === 0 ? await scanPass() : undefined;
  const {replay, replayCpu, replayMain} = await replayPass();
  const s = s1 ?? (withScan ? await scanPass() : undefined);
  runs.push({
    events: replay.events,
    replay_s: replay.seconds,
    replay_cpu_s: replayCpu,
    replay_main_cpu_s: replayMain,
    scan_main_cpu_s: s?.scanMain ?? null,
    scan_rows: s?.scan.rows ?? null,
    scan_s: s?.scan.seconds ?? null,
    scan_cpu_s: s?.scanCpu ?? null,
    scan_first: !!s1
  });
}
console.log(
  JSON.stringify({...runs[0]!, rounds: runs, peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024)})
);
