import {createRng} from "./src/lib/core/random.js";
import {simulatePlant} from "./src/lib/effluent/simulate.js";
import {analyzeEffluent} from "./src/lib/effluent/analyze.js";
import {defaultEffluentConfig} from "./src/lib/effluent/config.js";
import {scoreAttribution, scoreTamper} from "./src/lib/effluent/score.js";
for (const seed of [1, 2, 3]) {
  let t = performance.now();
  const sim = simulatePlant({rng: createRng(seed)});
  const simS = (performance.now() - t) / 1000; t = performance.now();
  const a = analyzeEffluent({cetp: sim.cetp, factories: sim.factories, config: defaultEffluentConfig});
  const anS = (performance.now() - t) / 1000;
  console.log(`seed ${seed}: sim ${simS.toFixed(2)}s analyze ${anS.toFixed(2)}s, ${sim.cetp.length} cetp, ${sim.factories.length} factory rows, ${a.shocks.length} events`);
  console.log(" travel est", a.travel.map((t) => `${t.factory_id}:${t.lag_minutes}(${t.clarity.toFixed(1)})`).join(" "), " truth", sim.profiles.map((p) => `${p.factory_id}:${p.travelMinutes}/${p.cadenceMinutes}`).join(" "));
  for (const m of ["robust_lag", "fixed_lookback"]) console.log(" ", JSON.stringify(scoreAttribution({events: a.shocks, attributions: a.attributions, truth: sim.truthShocks, method: m})));
  console.log(" tamper", JSON.stringify(scoreTamper({findings: a.tamper, truth: sim.truthTamper, cleanFactories: [sim.profiles.at(-1)!.factory_id]})), a.tamper.length, "findings");
  for (const f of a.tamper) console.log("   ", f.factory_id, f.kind, f.window_start.toISOString(), f.detail.slice(0, 80));
  console.log("   truth:", sim.truthTamper.map((t) => `${t.factory_id} ${t.kind} ${t.window_start.toISOString()}`).join("; "));
}
