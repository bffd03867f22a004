import {resolve} from "node:path";
import {captureKeyFromEnv} from "../../src/lib/market/live/capture-file.js";
import {calibrationText, runCalibration} from "../../src/lib/market/calibrate/run.js";
import {simulateMarketFiles} from "../../src/lib/market/pipeline.js";
import {flag, numberFlag, stringFlag, UsageError, type Verb} from "../verb.js";

export const simulateVerb: Verb = {
  name: "simulate",
  summary: "simulate a market: Crypto Lake-style history with defects, and the truth",
  help: `usage: lab simulate market --seed N --minutes M --out DIR [--drop-rate R] [--jitter-ms MS]
       lab simulate market --calibrate SOURCE [--out DIR --minutes M --seed N]

Runs the seeded L2 market simulator (zero-intelligence order flow, regimes, bursts) and writes
DIR/history/{trades,book,book_delta_v2}.parquet (Crypto Lake columns, with origin_time jitter,
millisecond ties and dropped deltas) and DIR/truth/{book_changes,trades,regimes}.parquet.

options:
  --seed N         seed (default 1)
  --minutes M      simulated minutes (default 10; about 25,000 events a minute)
  --drop-rate R    share of deltas missing from the history (default 0)
  --jitter-ms MS   Gaussian origin_time jitter, sd in ms (default 0)
  --out DIR        output folder (required, except with --calibrate)
  --calibrate SRC  fit the simulator to a real recording: a capture folder, a recording file
                   (\`<local_ns> <json>\` lines or lab capture lines, gzipped or not) or a market
                   dataset folder holding one. Prints the held-out check (fitted on the first
                   half, each of the fidelity report's 7 KS tests against the second half, beside
                   the default simulator); with --out writes market_calibration.parquet,
                   calibration.json (the parameters fitted to the whole recording) and a
                   simulation of --minutes with them. Encrypted captures: LAB_CAPTURE_KEY.

example: npm run lab -- simulate market --seed 1 --minutes 60 --drop-rate 0.01 --out /tmp/market
         npm run lab -- simulate market --calibrate datasets/market/btcusdt --out /tmp/calibrated`,
  flags: [
    flag.integer("seed"),
    flag.positive("minutes"),
    flag.range("drop-rate", 0, 1),
    flag.range("jitter-ms", 0),
    flag.string("out"),
    flag.string("calibrate")
  ],
  async run(args) {
    const [what] = args.positionals;
    if (what !== "market") throw new UsageError(`nothing to simulate called "${what ?? ""}"; try: lab simulate market`);
    const out = stringFlag(args, "out");
    const source = stringFlag(args, "calibrate");
    if (source) {
      const check = await runCalibration({
        source: resolve(source),
        outDir: out ? resolve(out) : undefined,
        minutes: numberFlag(args, "minutes", 10)!,
        seed: numberFlag(args, "seed", 1)!,
        key: captureKeyFromEnv(),
        log: (line) => console.log(line)
      });
      console.log(calibrationText(check));
      if (out)
        console.log(`written: ${resolve(out, "market_calibration.parquet")}, calibration.json and the simulation`);
      return;
    }
    if (!out) throw new UsageError("--out DIR is required");
    const files = await simulateMarketFiles({
      outDir: resolve(out),
      seed: numberFlag(args, "seed", 1)!,
      minutes: numberFlag(args, "minutes", 10)!,
      config: {dropDeltaRate: numberFlag(args, "drop-rate", 0)!, originJitterMs: numberFlag(args, "jitter-ms", 0)!},
      log: (line) => console.log(line)
    });
    console.log(
      `history: ${files.trades}, ${files.book}, ${files.deltas}\ntruth:   ${files.truthChanges}, ${files.truthTrades}, ${files.truthRegimes}`
    );
  }
};
