import {resolve} from "node:path";
import {writeSiteTrial} from "../../src/lib/effluent/trial-files.js";
import {captureKeyFromEnv} from "../../src/lib/market/live/capture-file.js";
import {calibrationText, runCalibration} from "../../src/lib/market/calibrate/run.js";
import {simulateMarketFiles} from "../../src/lib/market/pipeline.js";
import {flag, numberFlag, stringFlag, UsageError, type Verb} from "../verb.js";

export const simulateVerb: Verb = {
  name: "simulate",
  summary: "simulate a market (history with defects, and the truth), or factories on a real CETP export (a trial)",
  help: `usage: lab simulate market --seed N --minutes M --out DIR [--drop-rate R] [--jitter-ms MS]
       lab simulate effluent --on-export SITE_DIR|EXPORT.csv --out DIR [--factories N] [--shocks K] [--seed N]
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
         npm run lab -- simulate market --calibrate datasets/market/btcusdt --out /tmp/calibrated

effluent ("real plant, simulated factories"): simulates factory feeds on a real site's MPCB export
(a site folder, or one export file with the dataset.json beside it) and injects known shocks into a
copy of the export at each factory's travel time, keeping its blank rows, holes and local times.
DIR becomes a site dataset: the export copy, factories/F01.csv …, the dataset.json and
trial.truth.json, which the analysis (lab ingest, or lab run effluent --dataset DIR) scores against.

  --on-export PATH  the site folder or export file (required)
  --factories N     simulated factories, 1–10 (default 5)
  --shocks K        injected shocks in all (default one per factory per week)
  --seed N          seed (default 1): the same seed writes the same files
  --out DIR         a new or empty folder, e.g. datasets/effluent/<site>-trial (required)

example: npm run lab -- simulate effluent --on-export datasets/effluent/plant-a --out datasets/effluent/plant-a-trial --seed 3`,
  flags: (positionals) =>
    positionals[0] === "effluent"
      ? [
          flag.integer("seed"),
          flag.string("on-export"),
          flag.positive("factories"),
          flag.positive("shocks"),
          flag.string("out")
        ]
      : [
          flag.integer("seed"),
          flag.positive("minutes"),
          flag.range("drop-rate", 0, 1),
          flag.range("jitter-ms", 0),
          flag.string("out"),
          flag.string("calibrate")
        ],
  async run(args) {
    const [what] = args.positionals;
    if (what === "effluent") return simulateTrial(args);
    if (what !== "market")
      throw new UsageError(
        `nothing to simulate called "${what ?? ""}"; try: lab simulate market, lab simulate effluent`
      );
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

async function simulateTrial(args: Parameters<Verb["run"]>[0]): Promise<void> {
  const source = stringFlag(args, "on-export");
  const out = stringFlag(args, "out");
  if (!source || !out) throw new UsageError("--on-export SITE_DIR|EXPORT.csv and --out DIR are required");
  const {truth, files} = await writeSiteTrial({
    source: resolve(source),
    outDir: resolve(out),
    seed: numberFlag(args, "seed", 1)!,
    factoryCount: numberFlag(args, "factories", 5),
    shocks: numberFlag(args, "shocks")
  });
  console.log(
    `trial on ${truth.exports.join(", ")}: ${truth.factories.length} simulated factories, ${truth.shocks.length} injected shocks (seed ${truth.seed})\n${files.length} files in ${out}; analyse it with lab ingest, or lab run effluent --dataset ${out}`
  );
}
