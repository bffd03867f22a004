import type {EffluentConfig} from "./config.js";
import {median} from "./grid.js";
import type {CetpReading, ShockEvent, ShockLevel} from "./types.js";

type LevelConfig = Pick<
  EffluentConfig,
  "thresholdMgL" | "levelMediumMultiple" | "levelHighMultiple" | "levelCriticalMultiple"
>;

/**
 * A shock's level from its peak against the larger of the consent limit and the site's inlet
 * baseline: a site that normally runs near its limit only rises a level for a real excursion, and a
 * breach inside the site's own noise stays LOW.
 */
export function shockLevel({
  peakMgL,
  baselineMgL,
  config
}: {
  peakMgL: number;
  baselineMgL: number;
  config: LevelConfig;
}): ShockLevel {
  const reference = Math.max(config.thresholdMgL, Number.isFinite(baselineMgL) ? baselineMgL : 0);
  if (peakMgL >= config.levelCriticalMultiple * reference) return "CRITICAL";
  if (peakMgL >= config.levelHighMultiple * reference) return "HIGH";
  if (peakMgL >= config.levelMediumMultiple * reference) return "MEDIUM";
  return "LOW";
}

/**
 * Opens a shock when inlet COD reaches the threshold; breaches separated by at most
 * `mergeGapMinutes` belong to one event. The level follows `shockLevel`, the baseline being the
 * median inlet COD of the readings given.
 */
export function detectShocks({
  readings,
  config
}: {
  readings: readonly CetpReading[];
  config: LevelConfig & Pick<EffluentConfig, "mergeGapMinutes">;
}): ShockEvent[] {
  const cods = readings.filter((r) => r.inlet_cod !== null);
  const baseline = median(cods.map((r) => r.inlet_cod!));
  const events: ShockEvent[] = [];
  let current: {start: CetpReading; peak: CetpReading; end: CetpReading} | undefined;
  const close = () => {
    if (!current) return;
    const peak = current.peak.inlet_cod!;
    events.push({
      event_id: `E${current.start.ts.toISOString().slice(0, 16).replace(/[-:T]/g, "")}`,
      start_ts: current.start.ts,
      peak_ts: current.peak.ts,
      end_ts: current.end.ts,
      peak_cod: peak,
      breach: +(peak - config.thresholdMgL).toFixed(1),
      level: shockLevel({peakMgL: peak, baselineMgL: baseline, config})
    });
    current = undefined;
  };
  for (const r of cods) {
    if (r.inlet_cod! < config.thresholdMgL) continue;
    if (current && (r.ts.getTime() - current.end.ts.getTime()) / 60_000 <= config.mergeGapMinutes + 1) {
      current.end = r;
      if (r.inlet_cod! > current.peak.inlet_cod!) current.peak = r;
    } else {
      close();
      current = {start: r, peak: r, end: r};
    }
  }
  close();
  return events;
}
