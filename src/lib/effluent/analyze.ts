import {attributeFixedLookback, attributeShock, scoreFactories, searchWindow, type FactorySeries} from "./attribute.js";
import type {EffluentConfig} from "./config.js";
import {unmonitoredFactories} from "./coverage.js";
import {MINUTE, minuteGrid} from "./grid.js";
import {detectSilences, type SearchWindow} from "./silence.js";
import {byWindowStart, detectSensorTampering, readingsByFactory} from "./tamper.js";
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

const fmtWindow = (a: Date, b: Date) =>
  `${a.toISOString().slice(5, 16).replace("T", " ")}–${b.toISOString().slice(5, 16).replace("T", " ")} UTC`;

/** Each factory's COD grid with the readings inside its own FROZEN, FINGERPRINT and DILUTION windows set aside. */
function factorySeries({
  factories,
  ids,
  valueTamper,
  t0,
  minutes
}: {
  factories: readonly FactoryReading[];
  ids: string[];
  valueTamper: TamperEvent[];
  t0: number;
  minutes: number;
}): FactorySeries[] {
  const toMinute = (d: Date) => Math.round((d.getTime() - t0) / MINUTE);
  return ids.map((id) => {
    const raw = minuteGrid({
      rows: factories.filter((r) => r.factory_id === id),
      t0,
      minutes,
      time: (r) => r.ts,
      value: (r) => r.cod
    });
    const reported = new Int32Array(minutes + 1);
    for (let m = 0; m < minutes; m++) reported[m + 1] = reported[m]! + (Number.isFinite(raw[m]!) ? 1 : 0);
    const setAside = valueTamper
      .filter((t) => t.factory_id === id)
      .map((t) => ({
        from: toMinute(t.window_start),
        to: toMinute(t.window_end),
        label: `${t.kind} ${fmtWindow(t.window_start, t.window_end)}`
      }));
    const cod = Float64Array.from(raw);
    for (const w of setAside) cod.fill(Number.NaN, Math.max(0, w.from), Math.min(minutes, w.to + 1));
    return {factory_id: id, cod, raw, reported, setAside};
  });
}

/**
 * The whole analysis: tripwire, tampering, travel times, attribution (ours and the baseline).
 * Readings are rows with a value throughout: blank and NA rows are silence. The value detectors
 * run first so that their windows are set aside before travel times are learned and shocks
 * attributed; the silences are judged against each shock's search window.
 */
export function analyzeEffluent({
  cetp,
  factories,
  config,
  travel: knownTravel,
  travelMinutes = {}
}: {
  cetp: readonly CetpReading[];
  factories: readonly FactoryReading[];
  config: EffluentConfig;
  travel?: TravelEstimate[];
  /** Travel times a site fixes (dataset.json), by factory id: over the learned ones. */
  travelMinutes?: Record<string, number>;
}): EffluentAnalysis {
  const shocks = detectShocks({readings: cetp, config});
  const valueTamper = detectSensorTampering({readings: factories, config});
  const t0 = Math.min(cetp[0]?.ts.getTime() ?? Infinity, factories[0]?.ts.getTime() ?? Infinity);
  const t1 = Math.max(cetp.at(-1)?.ts.getTime() ?? -Infinity, factories.at(-1)?.ts.getTime() ?? -Infinity);
  const minutes = Number.isFinite(t0) && Number.isFinite(t1) ? Math.round((t1 - t0) / MINUTE) + 1 : 0;
  const inlet = minuteGrid({rows: cetp, t0, minutes, time: (r) => r.ts, value: (r) => r.inlet_cod});
  const allIds = [...new Set(factories.map((r) => r.factory_id))].sort();
  const groups = readingsByFactory(factories);
  // A factory with too few readings to monitor is left out of the silence rules and of attribution.
  const unmonitored = unmonitoredFactories({cetp, factoryIds: allIds, groups, config});
  for (const id of unmonitored.reasons.keys()) groups.delete(id);
  const ids = allIds.filter((id) => !unmonitored.reasons.has(id));
  const unchecked = [...unmonitored.reasons].map(([factory_id, reason]) => ({factory_id, reason}));
  const series = factorySeries({factories, ids, valueTamper, t0, minutes});
  // Live mode passes travel times learned from the whole history and analyses a recent window.
  const travelList = (
    knownTravel ??
    series.map((s) =>
      travelMinutes[s.factory_id] === undefined
        ? estimateTravelTime({factoryId: s.factory_id, factory: s.cod, inlet, maxLagMinutes: config.maxTravelMinutes})
        : {factory_id: s.factory_id, lag_minutes: 0, clarity: Number.NaN}
    )
  ).map((t) =>
    travelMinutes[t.factory_id] === undefined
      ? t
      : {...t, lag_minutes: travelMinutes[t.factory_id]!, clarity: Number.NaN}
  );
  const travel = new Map(travelList.map((t) => [t.factory_id, t]));
  const at = (m: number) => new Date(t0 + m * MINUTE);
  const searchWindows: SearchWindow[] = shocks.flatMap((event) =>
    ids.map((id) => {
      const lag = travel.get(id)?.lag_minutes ?? config.fixedLookbackMinutes;
      const {from, to} = searchWindow({event, lagMinutes: lag, t0, config});
      return {event_id: event.event_id, factory_id: id, lag_minutes: lag, from: at(from), to: at(to)};
    })
  );
  const silences = detectSilences({cetp, groups, searchWindows, config});
  for (const s of series)
    s.silences = silences
      .filter((t) => t.kind === "BLACKOUT" && t.factory_id === s.factory_id)
      .map((t) => ({
        from: Math.round((t.window_start.getTime() - t0) / MINUTE) + 1,
        to: Math.round((t.window_end.getTime() - t0) / MINUTE) - 1,
        label: `BLACKOUT ${fmtWindow(t.window_start, t.window_end)}`
      }));
  const tamper = [...valueTamper, ...unmonitored.findings, ...silences].sort(byWindowStart);
  // The reference method looks at every feed as received, as the original design did.
  const referenceSeries = unchecked.length ? factorySeries({factories, ids: allIds, valueTamper, t0, minutes}) : series;
  const attributions: Attribution[] = [];
  for (const event of shocks) {
    attributions.push(
      attributeShock({event, scores: scoreFactories({event, factories: series, travel, t0, config}), unchecked, config})
    );
    attributions.push(attributeFixedLookback({event, factories: referenceSeries, t0, config}));
  }
  // Mark readings inside a tamper window, so pages and later stages can set them aside.
  const windows = new Map<string, TamperEvent[]>();
  // A blackout has no readings inside it (the readings at its edges are sound); an outage is the plant's.
  for (const t of valueTamper) if (t.factory_id) windows.set(t.factory_id, [...(windows.get(t.factory_id) ?? []), t]);
  const factoryReadings = factories.map((r) => {
    const hit = windows.get(r.factory_id)?.find((t) => r.ts >= t.window_start && r.ts <= t.window_end);
    return hit ? {...r, status: hit.kind} : r;
  });
  return {shocks, attributions, tamper, travel: travelList, factoryReadings};
}
