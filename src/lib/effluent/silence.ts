import type {EffluentConfig} from "./config.js";
import {MINUTE, median} from "./grid.js";
import type {CetpReading, FactoryReading, TamperEvent} from "./types.js";

/** Where a factory would have to show a discharge to explain a shock (from attribution's search). */
export interface SearchWindow {
  event_id: string;
  factory_id: string;
  from: Date;
  to: Date;
  lag_minutes: number;
}

type SilenceConfig = Pick<
  EffluentConfig,
  | "blackoutMissedReadings"
  | "blackoutMinMinutes"
  | "blackoutShockMissedReadings"
  | "blackoutShockMinMinutes"
  | "siteOutageMinMinutes"
>;

const fmt = (d: Date) => d.toISOString().slice(0, 16).replace("T", " ");

/** A reading is a row with a value: blank and NA rows are silence, not readings. */
export function isFactoryReading(row: FactoryReading): boolean {
  return row.cod !== null;
}

/** The export's logger is up when a row carries any value at all. */
export function isCetpReading(row: CetpReading): boolean {
  return (
    row.inlet_cod !== null ||
    row.inlet_bod !== null ||
    row.inlet_ph !== null ||
    row.inlet_tss !== null ||
    row.outlet_cod !== null ||
    row.outlet_bod !== null ||
    row.outlet_ph !== null ||
    row.outlet_tss !== null
  );
}

/** A sensor's own reporting cadence: the median gap between its readings (not between its rows). */
export function cadenceMinutes(times: readonly Date[]): number {
  const gaps: number[] = [];
  for (let i = 1; i < times.length; i++)
    gaps.push(Math.round((times[i]!.getTime() - times[i - 1]!.getTime()) / MINUTE));
  return gaps.length ? Math.max(1, median(gaps)) : 1;
}

interface Source {
  name: string;
  /** Minute indices of its readings, ascending. */
  minutes: number[];
  cadence: number;
}

/** Minutes strictly inside a gap longer than the source's cadence, plus before its first and after its last reading. */
function silentMask(source: Source, length: number): Uint8Array {
  const mask = new Uint8Array(length).fill(1);
  const {minutes, cadence} = source;
  for (let i = 0; i < minutes.length; i++) {
    mask[minutes[i]!] = 0;
    const next = minutes[i + 1];
    if (next !== undefined && next - minutes[i]! <= cadence) for (let m = minutes[i]!; m < next; m++) mask[m] = 0;
  }
  return mask;
}

/** Contiguous runs of `true` in [from, to], as [start, end] inclusive. */
function runs(from: number, to: number, on: (m: number) => boolean): [number, number][] {
  const out: [number, number][] = [];
  let start = -1;
  for (let m = from; m <= to + 1; m++) {
    if (m <= to && on(m)) start = start < 0 ? m : start;
    else if (start >= 0) (out.push([start, m - 1]), (start = -1));
  }
  return out;
}

/** One finding per stretch where every feed (and, with a single feed, the export too) was silent. */
function siteOutages(o: {
  exportMask: Uint8Array | undefined;
  feedMasks: Uint8Array[];
  shared: (m: number) => boolean;
  length: number;
  at: (m: number) => Date;
  config: SilenceConfig;
}): TamperEvent[] {
  const out: TamperEvent[] = [];
  // Only between the feeds' readings: feeds not started yet, or delivered behind the export, are no outage.
  const reporting = (m: number) => !o.feedMasks.every((mask) => mask[m] === 1);
  let first = 0,
    last = o.length - 1;
  while (first < o.length && !reporting(first)) first++;
  while (last >= 0 && !reporting(last)) last--;
  for (const [s, e] of runs(first, last, o.shared)) {
    const span = e - s + 2;
    if (span < o.config.siteOutageMinMinutes) continue;
    const exportUp = o.exportMask ? o.exportMask.subarray(s, e + 1).reduce((n, v) => n + (v === 0 ? 1 : 0), 0) : 0;
    out.push({
      factory_id: null,
      kind: "SITE_OUTAGE",
      window_start: o.at(s - 1),
      window_end: o.at(e + 1),
      detail: exportUp
        ? `all ${o.feedMasks.length} factory feeds silent for ${span} min while the export logged ${exportUp} of those minutes: the feeds' link was down, no single factory's doing`
        : `the export and all ${o.feedMasks.length} factory feeds silent for ${span} min: the plant's logger was down, no factory's doing`
    });
  }
  return out;
}

/**
 * Silences, told apart by who else was silent. A hole shared by every feed (the plant's logger, or
 * the link the feeds come through, down) is one SITE_OUTAGE for the plant, never a BLACKOUT per
 * factory; with a single feed only a hole it shares with the export is. A factory's own silence
 * (the shared holes taken out) is a BLACKOUT once it misses `blackoutMissedReadings` of its own
 * readings, or only `blackoutShockMissedReadings` when it overlaps that factory's search window for
 * a shock — going quiet right before a discharge is the classic evasion. Each finding's detail
 * names the rule that fired.
 */
export function detectSilences({
  cetp,
  groups,
  searchWindows = [],
  config
}: {
  cetp: readonly CetpReading[];
  /** Each factory's readings (rows with a COD value), ascending. */
  groups: Map<string, FactoryReading[]>;
  searchWindows?: readonly SearchWindow[];
  config: SilenceConfig;
}): TamperEvent[] {
  const exportTimes = cetp.filter(isCetpReading).map((r) => r.ts);
  const allTimes = [...exportTimes, ...[...groups.values()].flatMap((rows) => [rows[0]?.ts, rows.at(-1)?.ts])].filter(
    (t): t is Date => !!t
  );
  if (!allTimes.length) return [];
  const t0 = allTimes.reduce((a, t) => Math.min(a, t.getTime()), Infinity);
  const t1 = allTimes.reduce((a, t) => Math.max(a, t.getTime()), -Infinity);
  const length = Math.round((t1 - t0) / MINUTE) + 1;
  const at = (m: number) => new Date(t0 + m * MINUTE);
  const toMinutes = (times: Date[]) => times.map((t) => Math.round((t.getTime() - t0) / MINUTE));
  const exportSource: Source = {name: "export", minutes: toMinutes(exportTimes), cadence: cadenceMinutes(exportTimes)};
  const feeds: Source[] = [...groups]
    .map(([id, rows]) => {
      const times = rows.map((r) => r.ts);
      return {name: id, minutes: toMinutes(times), cadence: cadenceMinutes(times)};
    })
    .filter((s) => s.minutes.length);
  const exportMask = exportSource.minutes.length ? silentMask(exportSource, length) : undefined;
  const feedMasks = feeds.map((s) => silentMask(s, length));
  const shared = (m: number) =>
    feedMasks.every((mask) => mask[m] === 1) && (feeds.length > 1 || exportMask === undefined || exportMask[m] === 1);
  const out = siteOutages({exportMask, feedMasks, shared, length, at, config});
  const windowsOf = new Map<string, {from: number; to: number; w: SearchWindow}[]>();
  for (const w of searchWindows) {
    const list = windowsOf.get(w.factory_id) ?? [];
    list.push({from: Math.round((w.from.getTime() - t0) / MINUTE), to: Math.round((w.to.getTime() - t0) / MINUTE), w});
    windowsOf.set(w.factory_id, list);
  }
  const allMasks = [...feedMasks, ...(exportMask ? [exportMask] : [])];
  feeds.forEach((feed, k) => {
    const {minutes, cadence} = feed;
    // A feed that stops while the other feeds go on is silent up to their last reading (one past it);
    // the export alone running ahead (feeds delivered in batches) does not count.
    const othersEnd = Math.max(-1, ...feeds.filter((_, j) => j !== k).map((o) => o.minutes.at(-1)!));
    const bounds = othersEnd > minutes.at(-1)! ? [...minutes, othersEnd + 1] : minutes;
    for (let i = 1; i < bounds.length; i++) {
      if (bounds[i]! - bounds[i - 1]! <= cadence) continue;
      const ongoing = i === bounds.length - 1;
      for (const [s, e] of runs(bounds[i - 1]! + 1, bounds[i]! - 1, (m) => !shared(m))) {
        const silentMinutes = e - s + 1;
        const missed = Math.floor(silentMinutes / cadence);
        const spanMinutes = silentMinutes + 1;
        const reporting = allMasks.filter((mask, j) => j !== k && mask.subarray(s, e + 1).includes(0)).length;
        const what = `no COD reading for ${spanMinutes} min (${missed} readings missed at its ${cadence}-min cadence) while ${reporting} other source${reporting === 1 ? "" : "s"} (export, feeds) reported${ongoing && e === othersEnd ? ", and still silent when the other feeds' data ends" : ""}`;
        const shock = windowsOf.get(feed.name)?.find((x) => x.from <= e && s <= x.to);
        const across = shock
          ? `silent across ${fmt(shock.w.from)}–${fmt(shock.w.to)} UTC, where a discharge would have had to leave it to cause shock ${shock.w.event_id} (travel ${shock.w.lag_minutes} min)`
          : "";
        let rule: string | undefined;
        if (missed >= config.blackoutMissedReadings && spanMinutes >= config.blackoutMinMinutes)
          rule = `general rule (≥ ${config.blackoutMissedReadings} missed readings and ≥ ${config.blackoutMinMinutes} min)${across ? `; also ${across}` : ""}`;
        else if (shock && missed >= config.blackoutShockMissedReadings && spanMinutes >= config.blackoutShockMinMinutes)
          rule = `shock-window rule (≥ ${config.blackoutShockMissedReadings} missed readings and ≥ ${config.blackoutShockMinMinutes} min over a shock's search window): ${across}`;
        if (!rule) continue;
        out.push({
          factory_id: feed.name,
          kind: "BLACKOUT",
          window_start: at(s - 1),
          window_end: at(e + 1),
          detail: `${what}; ${rule}`
        });
      }
    }
  });
  return out;
}
