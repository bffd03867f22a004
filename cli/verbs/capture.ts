import {resolve} from "node:path";
import {captureBinance} from "../../src/lib/market/live/capture.js";
import {captureKeyFromEnv} from "../../src/lib/market/live/capture-file.js";
import {UsageError, numberFlag, stringFlag, type Verb} from "../verb.js";

export const captureVerb: Verb = {
  name: "capture",
  summary: "record a Binance-protocol live feed (trades and depth) with a synchronised book",
  help: `usage: lab capture --symbol BTCUSDT --out DIR [--ws URL] [--rest URL] [--minutes M]
                   [--rotate-minutes 60] [--no-gzip] [--market spot|usdm]

Connects to the combined trade and depth@100ms streams, keeps the book synchronised by the
exchange's rules (re-snapshotting on any gap) and writes every raw message as JSON Lines with
its local arrival time in ns, in hourly gzip files named for when they open
(DIR/<symbol>-<time>.jsonl.gz; never overwritten). With LAB_CAPTURE_KEY set (64 hex characters)
files are encrypted with AES-256-GCM (.enc). Stops after --minutes, or on Ctrl-C (the current
file is closed cleanly). A killed capture's .partial file is recovered by the next capture into
DIR (every complete line; an encrypted one needs LAB_CAPTURE_KEY).

--market usdm captures USD-M futures: @depth@0ms diffs, /fapi/v1/depth snapshots and the futures
rules (each diff's pu must be the previous diff's u).

--ws and --rest default to the real exchange (wss://stream.binance.com:9443,
https://api.binance.com; fstream/fapi.binance.com for usdm); this machine has no internet, so use
the local feed:

example: npm run lab -- feed binance --port 9443 --speed 5 &
         npm run lab -- capture --ws ws://127.0.0.1:9443 --rest http://127.0.0.1:9443 --symbol BTCUSDT --minutes 1 --out /tmp/capture`,
  flags: [
    ...["symbol", "out", "ws", "rest", "market"].map((name) => ({name, type: "string" as const})),
    {name: "minutes", type: "number", above: 0},
    {name: "rotate-minutes", type: "number", above: 0},
    {name: "no-gzip", type: "boolean"}
  ],
  async run(args) {
    const out = stringFlag(args, "out");
    const symbol = stringFlag(args, "symbol");
    if (!out || !symbol) throw new UsageError("--symbol and --out are required");
    const market = stringFlag(args, "market", "spot");
    if (market !== "spot" && market !== "usdm") throw new UsageError(`--market must be spot or usdm, got "${market}"`);
    const controller = new AbortController();
    const stop = () => controller.abort();
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
    const minutes = numberFlag(args, "minutes");
    if (minutes) setTimeout(stop, minutes * 60_000).unref();
    const summary = await captureBinance({
      wsUrl: stringFlag(args, "ws"),
      restUrl: stringFlag(args, "rest"),
      symbol: symbol.toUpperCase(),
      market,
      outDir: resolve(out),
      rotateMs: numberFlag(args, "rotate-minutes", 60)! * 60_000,
      gzip: !args.flags["no-gzip"],
      key: captureKeyFromEnv(),
      signal: controller.signal,
      log: (line) => console.log(line)
    });
    console.log(
      `captured ${summary.messages.toLocaleString("en-US")} messages into ${summary.files.length} file(s); ${summary.gaps.length} gap(s) repaired, ${summary.reconnects} reconnect(s), clock offset ${summary.clock.at(-1)?.offsetMs.toFixed(1) ?? "?"} ms`
    );
  }
};
