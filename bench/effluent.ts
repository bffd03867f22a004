import {commandLineDataset} from "../src/lib/core/dataset.js";
import {mkdtempSync, rmSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {createRng} from "../src/lib/core/random.js";
import {analyzeEffluent} from "../src/lib/effluent/analyze.js";
import {defaultEffluentConfig} from "../src/lib/effluent/config.js";
import {effluentPipeline} from "../src/lib/effluent/pipeline.js";
import {scoreAttribution, scoreTamper} from "../src/lib/effluent/score.js";
import {simulatePlant} from "../src/lib/effluent/simulate.js";
import type {Benchmark} from "./benchmark.js";

/**
 * Effluent: attribution accuracy and false attributions (ours vs the fixed look-back reference)
 * and tamper recall over several simulated months, false tamper windows on a clean plant whose
 * sensor reports every third minute, and the wall time of the whole pipeline on one month
 * (MPCB export and factory CSVs in, every table as Parquet out).
 */
export const effluentBenchmark: Benchmark = {
  name: "effluent",
  summary: "attribution vs the fixed look-back, tamper recall, and the one-month build time",
  targets: {
    attribution_accuracy: {min: 0.95},
    false_attribution_rate: {max: 0.05},
    tamper_recall: {min: 0.95},
    tamper_false_windows_regular_gaps: {equals: 0}
  },
  async run({log, flags}) {
    const seeds = Number(flags.seeds ?? 5);
    const totals = {
      ours: {right: 0, shocks: 0, blamed: 0, orphans: 0},
      base: {right: 0, shocks: 0, blamed: 0, orphans: 0},
      tamperFound: 0,
      tamperInjected: 0
    };
    for (let seed = 1; seed <= seeds; seed++) {
      const sim = simulatePlant({rng: createRng(seed)});
      const analysis = analyzeEffluent({cetp: sim.cetp, factories: sim.factories, config: defaultEffluentConfig});
      const line: string[] = [];
      for (const [key, method] of [
        ["ours", "robust_lag"],
        ["base", "fixed_lookback"]
      ] as const) {
        const s = scoreAttribution({
          events: analysis.shocks,
          attributions: analysis.attributions,
          truth: sim.truthShocks,
          method
        });
        Object.assign(totals[key], {
          right: totals[key].right + s.correct,
          shocks: totals[key].shocks + s.factoryShocks,
          blamed: totals[key].blamed + s.falselyAttributed,
          orphans: totals[key].orphans + s.noFactoryEvents
        });
        line.push(
          `${method} ${s.correct}/${s.factoryShocks} right, ${s.falselyAttributed}/${s.noFactoryEvents} no-factory blamed`
        );
      }
      const t = scoreTamper({findings: analysis.tamper, truth: sim.truthTamper, cleanFactories: []});
      totals.tamperFound += t.found;
      totals.tamperInjected += t.injected;
      log(`seed ${seed}: ${analysis.shocks.length} shocks; ${line.join("; ")}; tamper ${t.found}/${t.injected}`);
    }
    const clean = simulatePlant({rng: createRng(1000), tamper: false});
    const cleanFindings = analyzeEffluent({
      cetp: clean.cetp,
      factories: clean.factories,
      config: defaultEffluentConfig
    }).tamper;
    log(`clean plant (a sensor reporting every 3 min, no tampering): ${cleanFindings.length} tamper windows`);
    const dir = mkdtempSync(join(tmpdir(), "bench-effluent-"));
    try {
      const started = performance.now();
      await effluentPipeline.run({
        files: [],
        dataset: commandLineDataset("effluent"),
        outDir: dir,
        seed: 7,
        flags: {simulate: true},
        log: () => {}
      });
      const buildSeconds = (performance.now() - started) / 1000;
      log(`one month (simulate feeds → read CSVs → analyse → Parquet): ${buildSeconds.toFixed(2)}s`);
      const rate = (a: number, b: number) => +(b ? a / b : 0).toFixed(4);
      const figures = {
        seeds,
        attribution_accuracy: rate(totals.ours.right, totals.ours.shocks),
        false_attribution_rate: rate(totals.ours.blamed, totals.ours.orphans),
        baseline_attribution_accuracy: rate(totals.base.right, totals.base.shocks),
        baseline_false_attribution_rate: rate(totals.base.blamed, totals.base.orphans),
        tamper_recall: rate(totals.tamperFound, totals.tamperInjected),
        tamper_false_windows_regular_gaps: cleanFindings.length,
        build_s: +buildSeconds.toFixed(2)
      };
      log(
        `ours: accuracy ${figures.attribution_accuracy}, false ${figures.false_attribution_rate}; reference: accuracy ${figures.baseline_attribution_accuracy}, false ${figures.baseline_false_attribution_rate}`
      );
      return figures;
    } finally {
      rmSync(dir, {recursive: true, force: true});
    }
  }
};
