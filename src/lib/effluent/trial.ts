import {LabError} from "../core/errors.js";
import {createRng, type Rng} from "../core/random.js";
import type {EffluentSiteOptions} from "./dataset-options.js";
import {MINUTE, median} from "./grid.js";
import {FACTORY_COLUMNS} from "./mpcb-columns.js";
import {factoryProfiles, factorySeries, type FactoryProfile, type TruthShock} from "./simulate.js";
import {addToInlet, readExportTimeline, type ExportText, type ExportTimeline} from "./trial-export.js";

/** What a trial injected, written beside its files (`trial.truth.json`) so the analysis can be scored. */
export interface TrialTruth {
  kind: "effluent-trial";
  /** The export file(s) the trial was put on. */
  exports: string[];
  seed: number;
  factories: Pick<FactoryProfile, "factory_id" | "baseCod" | "flowShare" | "travelMinutes" | "cadenceMinutes">[];
  shocks: TruthShock[];
}

/** A site's export with simulated factories on it: the edited export copies, the feeds and the truth. */
export interface SiteTrial {
  exports: ExportText[];
  /** `factories/F01.csv` … in the factory feed format, a row at every time the export has a row. */
  feeds: ExportText[];
  truth: TrialTruth;
}

export interface SimulateTrialOptions {
  /** The site's MPCB export file(s), as text: one timeline (monthly files, uploads). */
  exports: readonly ExportText[];
  /** The site's options (time format and zone, threshold), as its dataset.json gives them. */
  site: EffluentSiteOptions;
  seed: number;
  /** Simulated factories, 1–10 (default 5). */
  factoryCount?: number;
  /** Shocks injected in all (default: one per factory per week, at least one each). */
  shocks?: number;
}

/** Minutes before an injected inlet rise that must be quiet and read (the local baseline). */
const LEAD_MINUTES = 120;
/** Minutes after it kept clear of real crossings, so the injected shock is its own event. */
const TAIL_MINUTES = 60;
/** Injected shocks keep this far apart (inlet side), so no two merge or share a search window. */
const GAP_MINUTES = 180;
/** How far above the consent limit an injected peak reaches, mg/L. */
const OVERSHOOT = {min: 25, max: 90};

interface Placed {
  f: number;
  /** Inlet-side start, in timeline minutes. */
  inletStart: number;
  length: number;
  rise: number;
}

/**
 * Where a shock can reach the inlet: read, quiet and below the limit around it, clear of the others,
 * and with the export's rows (so the feeds') there on the factory side.
 */
function placeShocks(o: {
  rng: Rng;
  timeline: ExportTimeline;
  profiles: FactoryProfile[];
  count: number;
  threshold: number;
  baselineMinutes: number;
}): Placed[] {
  const {rng, timeline, profiles} = o;
  const {inlet, minutes} = timeline;
  const finite = (from: number, to: number) => {
    const values: number[] = [];
    for (let m = Math.max(0, from); m <= Math.min(minutes - 1, to); m++)
      if (Number.isFinite(inlet[m]!)) values.push(inlet[m]!);
    return values;
  };
  // Minutes inside a hole in the export's rows (over 5 min without a row): the feeds, which follow
  // the export's rows, are silent there too, so a factory-side slug there could not be seen.
  const inHole = new Uint8Array(minutes);
  const times = timeline.rowTimes;
  for (let i = 1; i < times.length; i++)
    if (times[i]!.minute - times[i - 1]!.minute > 5) inHole.fill(1, times[i - 1]!.minute + 1, times[i]!.minute);
  const maxLag = Math.max(...profiles.map((p) => p.travelMinutes));
  const earliest = maxLag + o.baselineMinutes + LEAD_MINUTES;
  const placed: Placed[] = [];
  const order = rng.shuffle(profiles.map((_, f) => f));
  for (let k = 0; k < o.count; k++) {
    const f = order[k % order.length]!;
    const length = rng.int(8, 35);
    let found: Placed | undefined;
    for (let tries = 0; tries < 4000 && !found; tries++) {
      const s = rng.int(earliest, Math.max(earliest, minutes - length - TAIL_MINUTES - 4));
      if (s + length + TAIL_MINUTES >= minutes) break;
      if (placed.some((p) => s < p.inletStart + p.length + GAP_MINUTES && p.inletStart < s + length + GAP_MINUTES))
        continue;
      const lead = finite(s - LEAD_MINUTES, s - 1);
      const during = finite(s, s + length + 3);
      if (lead.length < LEAD_MINUTES / 6 || during.length < Math.max(3, (length + 3) / 4)) continue;
      if (finite(s - TAIL_MINUTES, s + length + TAIL_MINUTES).some((v) => v >= o.threshold)) continue;
      const lag = profiles[f]!.travelMinutes;
      if (inHole.subarray(s - lag - 15, s + length - lag + 15).includes(1)) continue;
      const rise = o.threshold - median(lead) + rng.uniform(OVERSHOOT.min, OVERSHOOT.max);
      found = {f, inletStart: s, length, rise};
    }
    if (!found)
      throw new LabError({
        reason: `no room for injected shock ${k + 1} of ${o.count}: it needs ${LEAD_MINUTES} min of readings below the threshold (${o.threshold} mg/L) before it, ${TAIL_MINUTES} after, ${GAP_MINUTES} min from the others`,
        hint: "ask for fewer shocks (--shocks), or put the trial on a longer export"
      });
    placed.push(found);
  }
  return placed.sort((a, b) => a.inletStart - b.inletStart);
}

const ramp = (i: number, length: number) => Math.min(1, (i + 1) / 3, (length - i) / 3);
const round1 = (x: number) => Math.round(x * 10) / 10;
const csvCell = (s: string) => (/[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s);

/** One feed per factory, a row at each time the export has a row, blank where its sensor sent nothing. */
function feedTexts(o: {
  rng: Rng;
  timeline: ExportTimeline;
  profiles: FactoryProfile[];
  cod: Float64Array[];
  tss: Float64Array[];
}): ExportText[] {
  return o.profiles.map((p, f) => {
    const r = o.rng.fork(`feed ${p.factory_id}`);
    const lines = [FACTORY_COLUMNS.join(",")];
    let last = -Infinity;
    let gapUntil = -1;
    for (const {minute, text} of o.timeline.rowTimes) {
      let cells = ["", "", "", ""];
      if (minute - last >= p.cadenceMinutes && minute > gapUntil) {
        last = minute;
        // Now and then the link drops a few readings, as real feeds do.
        if (r.bernoulli(0.002)) gapUntil = minute + r.int(2, 8);
        else {
          const c = o.cod[f]![minute]!;
          cells = [c, c * 0.42 * (1 + r.normal(0, 0.03)), 7.1 + r.normal(0, 0.15), o.tss[f]![minute]!].map((v) =>
            String(round1(v))
          );
        }
      }
      lines.push([String(lines.length), csvCell(text), p.factory_id, ...cells].join(","));
    }
    return {name: `factories/${p.factory_id}.csv`, text: lines.join("\n") + "\n"};
  });
}

/**
 * "Real plant, simulated factories": factory feeds simulated on a real site's export, with known
 * shocks injected, so a plant can check attribution on its own baseline. The factories' series
 * (diurnal cycle, process noise, their own cadence) follow the export's timeline: a feed has a row
 * at every time the export has one, with the time as the export writes it, so the export's logger
 * holes are the feeds' holes too. Each shock is a slug at one factory; the matching rise, delayed by
 * the factory's travel time and dispersed as on the way to the inlet, is added to the export's inlet
 * COD where it has a value (blank rows, holes and times stay as they are). A shock is placed where
 * the export reads and stays below the consent limit around it, and rises past the limit from the
 * local baseline, so each injected shock is an event of its own and the export's own crossings stay
 * events no simulated factory caused. Deterministic for a seed.
 */
export function simulateTrial({exports, site, seed, factoryCount = 5, shocks}: SimulateTrialOptions): SiteTrial {
  if (!Number.isInteger(factoryCount) || factoryCount < 1 || factoryCount > 10)
    throw new LabError({reason: `a trial has 1–10 factories (asked for ${factoryCount})`, hint: "--factories 1 to 10"});
  const timeline = readExportTimeline({exports, site});
  const days = timeline.minutes / 1440;
  const count = shocks ?? Math.max(factoryCount, Math.round((days * factoryCount) / 7));
  if (!Number.isInteger(count) || count < 1)
    throw new LabError({reason: `a trial injects at least one shock (asked for ${count})`, hint: "--shocks 1 or more"});
  const rng = createRng(`effluent trial ${seed}`);
  const profiles = factoryProfiles({rng: rng.fork("profiles"), factoryCount}).map((p, i) => ({
    ...p,
    // Half the sensors report every third minute, as many real ones do.
    cadenceMinutes: i % 2 === 1 ? 3 : 1
  }));
  const {cod, tss} = factorySeries({rng: rng.fork("series"), profiles, minutes: timeline.minutes});
  const placed = placeShocks({
    rng: rng.fork("shocks"),
    timeline,
    profiles,
    count,
    threshold: site.config.thresholdMgL,
    baselineMinutes: site.config.baselineWindowMinutes
  });
  const extra = new Float64Array(timeline.minutes);
  const at = (m: number) => new Date(timeline.t0 + m * MINUTE);
  const truthShocks: TruthShock[] = placed.map((shock, k) => {
    const p = profiles[shock.f]!;
    const lag = p.travelMinutes;
    const start = shock.inletStart - lag;
    // The factory's slug: its COD rises so that, diluted by its share of the inflow, the inlet rises by `rise`.
    const excess = (m: number) => (m >= start && m < start + shock.length ? ramp(m - start, shock.length) : 0);
    for (let m = start; m < start + shock.length; m++) cod[shock.f]![m]! += (shock.rise / p.flowShare) * excess(m);
    for (let m = shock.inletStart - 1; m <= shock.inletStart + shock.length; m++)
      if (m >= 0 && m < extra.length)
        extra[m]! += (shock.rise * (excess(m - lag - 1) + excess(m - lag) + excess(m - lag + 1))) / 3;
    return {
      shock_id: `T${String(k + 1).padStart(3, "0")}`,
      factory_id: p.factory_id,
      start: at(start),
      end: at(start + shock.length),
      inlet_start: at(shock.inletStart),
      inlet_end: at(shock.inletStart + shock.length + 3),
      inlet_rise: +shock.rise.toFixed(1)
    };
  });
  return {
    exports: addToInlet({timeline, extra}),
    feeds: feedTexts({rng: rng.fork("feeds"), timeline, profiles, cod, tss}),
    truth: {
      kind: "effluent-trial",
      exports: exports.map((e) => e.name),
      seed,
      factories: profiles.map(({factory_id, baseCod, flowShare, travelMinutes, cadenceMinutes}) => ({
        factory_id,
        baseCod,
        flowShare,
        travelMinutes,
        cadenceMinutes
      })),
      shocks: truthShocks
    }
  };
}
