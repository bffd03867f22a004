import {attributeFixedLookback, attributeShock, scoreFactories, type FactorySeries} from "./attribute.js";
import type {EffluentConfig} from "./config.js";
import {MINUTE, minuteGrid} from "./grid.js";
import {detectTampering} from "./tamper.js";
import {estimateTravelTime, type TravelEstimate} from "./travel-time.js";
import {detectShocks} from "./tripwire.js";
import type {Attribution, CetpReading, FactoryReading, ShockEvent, TamperEvent} from "./types.js";

export interface EffluentAnalysis {
  shocks: ShockEvent[];
  attributions: Attribution[];
  tamper: TamperEvent[];
  travel: TravelEstimate[];
  /** Factory readings with `status` naming the tamper finding that covers them, if any. */
  factoryReadings: FactoryReading[];
}

/** Travel times for every factory, learned from all the history given. */
export function learnTravelTimes({
  cetp,
  factories,
  config
}: {
  cetp: readonly CetpReading[];
  factories: readonly FactoryReading[];
  config: EffluentConfig;
}): TravelEstimate[] {
  const t0 = Math.min(cetp[0]?.ts.getTime() ?? Infinity, factories[0]?.ts.getTime() ?? Infinity);
  const t1 = Math.max(cetp.at(-1)?.ts.getTime() ?? -Infinity, factories.at(-1)?.ts.getTime() ?? -Infinity);
  if (!Number.isFinite(t0) || !Number.isFinite(t1)) return [];
  const minutes = Math.round((t1 - t0) / MINUTE) + 1;
  const inlet = minuteGrid({rows: cetp, t0, minutes, time: (r) => r.ts, value: (r) => r.inlet_cod});
  return [...new Set(factories.map((r) => r.factory_id))].sort().map((id) =>
    estimateTravelTime({
      factoryId: id,
      factory: minuteGrid({
        rows: factories.filter((r) => r.factory_id === id),
        t0,
        minutes,
        time: (r) => r.ts,
        value: (r) => r.cod
      }),
      inlet,
      maxLagMinutes: config.maxTravelMinutes
    })
  );
}

/** The whole analysis: tripwire, travel times, attribution (ours and the baseline), tampering. */
export function analyzeEffluent({
  cetp,
  factories,
  config,
  travel: knownTravel
}: {
  cetp: readonly CetpReading[];
  factories: readonly FactoryReading[];
  config: EffluentConfig;
  travel?: TravelEstimate[];
}): EffluentAnalysis {
  const shocks = detectShocks({readings: cetp, config});
  const tamper = detectTampering({readings: factories, config});
  const t0 = Math.min(cetp[0]?.ts.getTime() ?? Infinity, factories[0]?.ts.getTime() ?? Infinity);
  const t1 = Math.max(cetp.at(-1)?.ts.getTime() ?? -Infinity, factories.at(-1)?.ts.getTime() ?? -Infinity);
  const minutes = Number.isFinite(t0) && Number.isFinite(t1) ? Math.round((t1 - t0) / MINUTE) + 1 : 0;
  const inlet = minuteGrid({rows: cetp, t0, minutes, time: (r) => r.ts, value: (r) => r.inlet_cod});
  const ids = [...new Set(factories.map((r) => r.factory_id))].sort();
  const series: FactorySeries[] = ids.map((id) => ({
    factory_id: id,
    cod: minuteGrid({
      rows: factories.filter((r) => r.factory_id === id),
      t0,
      minutes,
      time: (r) => r.ts,
      value: (r) => r.cod
    })
  }));
  // Live mode passes travel times learned from the whole history and analyses a recent window.
  const travelList =
    knownTravel ??
    series.map((s) =>
      estimateTravelTime({factoryId: s.factory_id, factory: s.cod, inlet, maxLagMinutes: config.maxTravelMinutes})
    );
  const travel = new Map(travelList.map((t) => [t.factory_id, t]));
  const attributions: Attribution[] = [];
  for (const event of shocks) {
    attributions.push(
      attributeShock({event, scores: scoreFactories({event, factories: series, travel, t0, config}), config})
    );
    attributions.push(attributeFixedLookback({event, factories: series, t0, config}));
  }
  // Mark readings inside a tamper window, so pages and later stages can set them aside.
  const windows = new Map<string, TamperEvent[]>();
  // A blackout has no readings inside it: the readings at its edges are sound.
  for (const t of tamper)
    if (t.kind !== "BLACKOUT") windows.set(t.factory_id, [...(windows.get(t.factory_id) ?? []), t]);
  const factoryReadings = factories.map((r) => {
    const hit = windows.get(r.factory_id)?.find((t) => r.ts >= t.window_start && r.ts <= t.window_end);
    return hit ? {...r, status: hit.kind} : r;
  });
  return {shocks, attributions, tamper, travel: travelList, factoryReadings};
}
