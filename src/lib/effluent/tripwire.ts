import type {EffluentConfig} from "./config.js";
import {median} from "./grid.js";
import type {CetpReading, ShockEvent} from "./types.js";

/**
 * Opens a shock when inlet COD reaches the threshold; breaches separated by at most
 * `mergeGapMinutes` belong to one event. Level is HIGH at `highMultiple` × the inlet baseline
 * (the median inlet COD) or more, else MEDIUM.
 */
export function detectShocks({
  readings,
  config
}: {
  readings: readonly CetpReading[];
  config: Pick<EffluentConfig, "thresholdMgL" | "mergeGapMinutes" | "highMultiple">;
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
      level: peak >= config.highMultiple * baseline ? "HIGH" : "MEDIUM"
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
