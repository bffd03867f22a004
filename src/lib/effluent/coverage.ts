import type {EffluentConfig} from "./config.js";
import {isCetpReading} from "./silence.js";
import type {CetpReading, FactoryReading, TamperEvent} from "./types.js";

const HOUR = 3_600_000;

/** Factories with too few readings to monitor: each one's finding, and why, by id. */
export interface Unmonitored {
  findings: TamperEvent[];
  /** Factory id → the reason, for the attribution's evidence. */
  reasons: Map<string, string>;
}

/**
 * The floor below which a factory cannot be monitored: its COD readings fall in fewer than
 * `monitorMinCoverage` of the hours the site reported (the hours the export logged a value; without
 * an export, the hours any feed did). Such a factory would otherwise be silent in almost every
 * window: a BLACKOUT most of the time, and "could not be checked" for every shock, which holds every
 * verdict back. Instead it gets one TOO_FEW_READINGS finding over the site's span, takes no part in
 * the silence rules, and each attribution names it as not checked. Hours, not readings, so a sensor's
 * cadence does not matter.
 */
export function unmonitoredFactories({
  cetp,
  factoryIds,
  groups,
  config
}: {
  cetp: readonly CetpReading[];
  /** Every factory with rows, readings or not. */
  factoryIds: readonly string[];
  /** Each factory's readings (rows with a COD value). */
  groups: Map<string, FactoryReading[]>;
  config: Pick<EffluentConfig, "monitorMinCoverage">;
}): Unmonitored {
  const hourOf = (d: Date) => Math.floor(d.getTime() / HOUR);
  let siteHours = new Set(cetp.filter(isCetpReading).map((r) => hourOf(r.ts)));
  if (!siteHours.size) siteHours = new Set([...groups.values()].flat().map((r) => hourOf(r.ts)));
  const findings: TamperEvent[] = [];
  const reasons = new Map<string, string>();
  if (!siteHours.size) return {findings, reasons};
  const first = new Date(Math.min(...siteHours) * HOUR);
  const last = new Date((Math.max(...siteHours) + 1) * HOUR);
  const percent = Math.round(config.monitorMinCoverage * 100);
  for (const id of factoryIds) {
    const hours = new Set((groups.get(id) ?? []).map((r) => hourOf(r.ts)).filter((h) => siteHours.has(h)));
    if (hours.size >= config.monitorMinCoverage * siteHours.size) continue;
    const share = (100 * hours.size) / siteHours.size;
    const reason = `too few readings to monitor: COD readings in ${hours.size} of the ${siteHours.size} hours the site reported (${share.toFixed(1)}%), under the floor of ${percent}%`;
    reasons.set(id, reason);
    findings.push({
      factory_id: id,
      kind: "TOO_FEW_READINGS",
      window_start: first,
      window_end: last,
      detail: `${reason}; a factory with readings in fewer than ${percent}% of the site's hours is not checked for silence (no BLACKOUT) and is left out of attribution, where each shock names it as could not be checked`
    });
  }
  return {findings, reasons};
}
