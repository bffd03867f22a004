import type {EffluentConfig} from "./config.js";
import {median} from "./grid.js";
import {unmonitoredFactories} from "./coverage.js";
import {detectSilences, isFactoryReading, type SearchWindow} from "./silence.js";
import type {CetpReading, FactoryReading, TamperEvent} from "./types.js";

const MINUTE = 60_000;
const fmtMin = (ms: number) => `${Math.round(ms / MINUTE)} min`;

/** Each factory's readings (rows with a COD value; blank and NA rows are silence), ascending. */
export function readingsByFactory(readings: readonly FactoryReading[]): Map<string, FactoryReading[]> {
  const groups = new Map<string, FactoryReading[]>();
  for (const r of readings) {
    if (!isFactoryReading(r)) continue;
    const list = groups.get(r.factory_id) ?? [];
    list.push(r);
    groups.set(r.factory_id, list);
  }
  for (const list of groups.values()) list.sort((a, b) => a.ts.getTime() - b.ts.getTime());
  return groups;
}

/** FROZEN: the same COD value, reading after reading (blank rows between them skipped), for at least `frozenMinutes`. */
function frozen(id: string, rows: FactoryReading[], config: EffluentConfig): TamperEvent[] {
  const out: TamperEvent[] = [];
  let runStart = 0;
  for (let i = 1; i <= rows.length; i++) {
    if (i < rows.length && rows[i]!.cod !== null && rows[i]!.cod === rows[runStart]!.cod) continue;
    const first = rows[runStart]!,
      last = rows[i - 1]!;
    const span = last.ts.getTime() - first.ts.getTime();
    if (first.cod !== null && i - runStart >= 3 && span >= config.frozenMinutes * MINUTE) {
      out.push({
        factory_id: id,
        kind: "FROZEN",
        window_start: first.ts,
        window_end: last.ts,
        detail: `COD stuck at ${first.cod} mg/L for ${fmtMin(span)} (${i - runStart} identical readings): a live sensor always varies`
      });
    }
    runStart = i;
  }
  return out;
}

/** DILUTION: COD falls by ≥ dilutionDropFraction below its baseline while TSS holds. */
function dilution(id: string, rows: FactoryReading[], config: EffluentConfig): TamperEvent[] {
  const out: TamperEvent[] = [];
  const window = 6 * 60 * MINUTE;
  let lo = 0;
  const codHist: number[] = [];
  const tssHist: number[] = [];
  let start: FactoryReading | undefined,
    last: FactoryReading | undefined,
    ratio = 1;
  const close = () => {
    if (start && last && last.ts.getTime() - start.ts.getTime() >= config.dilutionMinMinutes * MINUTE) {
      out.push({
        factory_id: id,
        kind: "DILUTION",
        window_start: start.ts,
        window_end: last.ts,
        detail: `COD fell to ${(ratio * 100).toFixed(0)}% of its 6 h median while TSS held: water added to the discharge, or at the sensor`
      });
    }
    start = last = undefined;
  };
  // Baselines from the trailing 6 h of readings, refreshed every 30 readings (cheap and robust).
  let codBase = Number.NaN,
    tssBase = Number.NaN;
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    while (rows[lo]!.ts.getTime() < r.ts.getTime() - window) lo++;
    if (i % 30 === 0 || !Number.isFinite(codBase)) {
      codHist.length = tssHist.length = 0;
      for (let k = lo; k < i; k++) {
        if (rows[k]!.cod !== null) codHist.push(rows[k]!.cod!);
        if (rows[k]!.tss !== null) tssHist.push(rows[k]!.tss!);
      }
      if (codHist.length >= 30 && !start) ((codBase = median(codHist)), (tssBase = median(tssHist)));
    }
    if (r.cod === null || r.tss === null || !Number.isFinite(codBase)) continue;
    const diluted =
      r.cod <= (1 - config.dilutionDropFraction) * codBase &&
      Math.abs(r.tss - tssBase) <= config.tssToleranceFraction * tssBase;
    if (diluted) {
      start ??= r;
      last = r;
      ratio = r.cod / codBase;
    } else close();
  }
  close();
  return out;
}

/**
 * FINGERPRINT: `fingerprintReadings` consecutive COD values identical to another factory's series
 * or to this factory's own past — a copied or replayed feed. Windows are indexed by a rolling
 * hash (verified value by value); constant windows are left to FROZEN.
 */
function fingerprints(groups: Map<string, FactoryReading[]>, config: EffluentConfig): TamperEvent[] {
  const k = config.fingerprintReadings;
  const seen = new Map<string, {id: string; index: number}>();
  const hits = new Map<string, {id: string; from: number; to: number; source: string; sourceTs: Date}[]>();
  for (const [id, rows] of groups) {
    const values = rows.map((r) => r.cod);
    for (let i = 0; i + k <= values.length; i++) {
      const window = values.slice(i, i + k);
      if (window.some((v) => v === null) || window.every((v) => v === window[0])) continue;
      const key = window.join(",");
      const prior = seen.get(key);
      if (prior) {
        const list = hits.get(id) ?? [];
        const previous = list.at(-1);
        if (previous && i <= previous.to + 1 && previous.source === prior.id) previous.to = i + k - 1;
        else
          list.push({id, from: i, to: i + k - 1, source: prior.id, sourceTs: groups.get(prior.id)![prior.index]!.ts});
        hits.set(id, list);
      } else seen.set(key, {id, index: i});
    }
  }
  const out: TamperEvent[] = [];
  for (const [id, list] of hits) {
    const rows = groups.get(id)!;
    for (const h of list) {
      const own = h.source === id;
      out.push({
        factory_id: id,
        kind: "FINGERPRINT",
        window_start: rows[h.from]!.ts,
        window_end: rows[h.to]!.ts,
        detail: own
          ? `${h.to - h.from + 1} readings replay this sensor's own series from ${h.sourceTs.toISOString().slice(0, 16)} UTC`
          : `${h.to - h.from + 1} readings identical to ${h.source}'s series from ${h.sourceTs.toISOString().slice(0, 16)} UTC`
      });
    }
  }
  return out;
}

/** Findings in time order (then by factory; the plant's own first). */
export const byWindowStart = (a: TamperEvent, b: TamperEvent) =>
  a.window_start.getTime() - b.window_start.getTime() || (a.factory_id ?? "").localeCompare(b.factory_id ?? "");

/** The detectors that judge a sensor's values: FROZEN, DILUTION and FINGERPRINT. */
export function detectSensorTampering({
  readings,
  config
}: {
  readings: readonly FactoryReading[];
  config: EffluentConfig;
}): TamperEvent[] {
  const groups = readingsByFactory(readings);
  const events: TamperEvent[] = [];
  for (const [id, rows] of groups) events.push(...frozen(id, rows, config), ...dilution(id, rows, config));
  events.push(...fingerprints(groups, config));
  return events.sort(byWindowStart);
}

/**
 * Every tamper detector over the factory feeds, each finding with a window and a reason: the value
 * detectors, and the silences (SITE_OUTAGE, BLACKOUT) judged against the export and the other feeds.
 * Without `cetp` the export counts as always silent; without `searchWindows` only the general
 * blackout bar applies.
 */
export function detectTampering({
  readings,
  cetp = [],
  searchWindows,
  config
}: {
  readings: readonly FactoryReading[];
  cetp?: readonly CetpReading[];
  searchWindows?: readonly SearchWindow[];
  config: EffluentConfig;
}): TamperEvent[] {
  const groups = readingsByFactory(readings);
  const factoryIds = [...new Set(readings.map((r) => r.factory_id))];
  const unmonitored = unmonitoredFactories({cetp, factoryIds, groups, config});
  for (const id of unmonitored.reasons.keys()) groups.delete(id);
  const silences = detectSilences({cetp, groups, searchWindows, config});
  return [...detectSensorTampering({readings, config}), ...unmonitored.findings, ...silences].sort(byWindowStart);
}
