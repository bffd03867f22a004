import {LabError} from "../core/errors.js";
import type {Rng} from "../core/random.js";
import type {CetpReading, FactoryReading, TamperKind} from "./types.js";

export interface FactoryProfile {
  factory_id: string;
  /** Typical discharge COD, mg/L. */
  baseCod: number;
  baseTss: number;
  /** Share of the CETP inflow this factory sends (what dilutes its slug at the inlet). */
  flowShare: number;
  /** Minutes from the factory outfall to the CETP inlet sensor. */
  travelMinutes: number;
  /** The factory's sensor reports every this many minutes. */
  cadenceMinutes: number;
  /** Hour of the day when its production (and COD) peaks. */
  peakHour: number;
}

export interface TruthShock {
  shock_id: string;
  /** null: a shock that no monitored factory caused (storm water, an unmonitored drain). */
  factory_id: string | null;
  /** When it started at the factory (for factory shocks) or at the inlet (otherwise). */
  start: Date;
  end: Date;
  /** When it reaches the inlet. */
  inlet_start: Date;
  inlet_end: Date;
  /** Added inlet COD at the peak, mg/L. */
  inlet_rise: number;
}

export interface TruthTamper {
  factory_id: string;
  kind: TamperKind;
  window_start: Date;
  window_end: Date;
  /** For FINGERPRINT: whose series was copied (itself for a replay of its own past). */
  source?: string;
}

export interface PlantSimulation {
  profiles: FactoryProfile[];
  cetp: CetpReading[];
  factories: FactoryReading[];
  truthShocks: TruthShock[];
  truthTamper: TruthTamper[];
}

export interface SimulatePlantOptions {
  rng: Rng;
  /** First minute, UTC (default 2024-03-01 00:00 IST). */
  start?: Date;
  days?: number;
  factoryCount?: number;
  /** Shocks injected per factory over the whole run (default 4 a month). */
  shocksPerFactory?: number;
  /** Shocks that no factory caused (default 5 a month). */
  orphanShocks?: number;
  /** Inject the tamper cases (frozen, blackout, dilution, fingerprint copy and replay); needs ≥ 3 days. */
  tamper?: boolean;
}

const MINUTE = 60_000;
/** The shortest plant the simulator makes: a day holds every shock with a baseline around it. */
export const MIN_DAYS = 1;

/** Places non-overlapping windows (shocks, tamper cases) on the minute grid, at random. */
type Placer = (length: number, pad?: number, earliest?: number) => number;

function createPlacer({rng, minutes}: {rng: Rng; minutes: number}): Placer {
  // Busy periods a shock or a tamper window occupies, so that cases do not overlap.
  const busy: [number, number][] = [];
  // Events keep clear of the first and last hours, so every series has a baseline around them.
  const margin = Math.min(720, Math.floor(minutes / 8));
  return (length, pad = 180, earliest = margin) => {
    // Short runs have less room: when no place is found, the events may sit closer together.
    for (let gap = pad; gap >= 5; gap = Math.floor(gap / 2))
      for (let tries = 0; tries < 1000; tries++) {
        const s = rng.int(earliest, minutes - length - margin);
        if (busy.every(([a, b]) => s + length + gap < a || s > b + gap)) {
          busy.push([s, s + length]);
          return s;
        }
      }
    throw new LabError({
      reason: `a ${(minutes / 1440).toFixed(1)}-day simulated plant has no room left for another event`,
      hint: "simulate more days (--days), or fewer shocks"
    });
  };
}

/** Factory profiles (at most 10: the travel times are drawn from ten distinct values). */
export function factoryProfiles({rng, factoryCount}: {rng: Rng; factoryCount: number}): FactoryProfile[] {
  const travel = rng.shuffle([9, 12, 15, 18, 22, 26, 30, 34, 38, 42]).slice(0, factoryCount);
  return Array.from({length: factoryCount}, (_, i) => ({
    factory_id: `F${String(i + 1).padStart(2, "0")}`,
    baseCod: Math.round(rng.uniform(450, 1400)),
    baseTss: Math.round(rng.uniform(150, 450)),
    flowShare: +rng.uniform(0.02, 0.04).toFixed(3),
    travelMinutes: travel[i]!,
    // The last factory's sensor reports every third minute: a cadence, not a blackout.
    cadenceMinutes: i === factoryCount - 1 ? 3 : 1,
    peakHour: rng.int(0, 23)
  }));
}

/** Each factory's COD and TSS on the one-minute grid: diurnal cycle, autocorrelated process noise. */
export function factorySeries({rng, profiles, minutes}: {rng: Rng; profiles: FactoryProfile[]; minutes: number}) {
  const cod = profiles.map(() => new Float64Array(minutes));
  const tss = profiles.map(() => new Float64Array(minutes));
  profiles.forEach((p, f) => {
    const r = rng.fork(`factory ${p.factory_id}`);
    let ar = 0;
    for (let m = 0; m < minutes; m++) {
      const hour = (((m / 60 + 5.5) % 24) + 24) % 24; // local time of day
      const diurnal = 1 + 0.05 * Math.cos(((hour - p.peakHour) / 24) * 2 * Math.PI);
      ar = 0.8 * ar + r.normal(0, 0.012);
      cod[f]![m] = p.baseCod * diurnal * (1 + ar) * (1 + r.normal(0, 0.02));
      tss[f]![m] = p.baseTss * (1 + 0.5 * (diurnal - 1)) * (1 + r.normal(0, 0.04));
    }
  });
  return {cod, tss};
}

/** Slug discharges at factories (and shocks no factory caused, at the inlet), with their truth. */
function injectShocks(o: {
  rng: Rng;
  place: Placer;
  profiles: FactoryProfile[];
  cod: Float64Array[];
  inletExtra: Float64Array;
  shocksPerFactory: number;
  orphanShocks: number;
  at: (m: number) => Date;
}): TruthShock[] {
  const {rng, place, profiles, cod, inletExtra, at} = o;
  const truthShocks: TruthShock[] = [];
  const shockList: {f: number | null; s: number; length: number; rise: number}[] = [];
  for (const [f] of profiles.entries())
    for (let k = 0; k < o.shocksPerFactory; k++)
      shockList.push({f, s: 0, length: rng.int(8, 35), rise: rng.uniform(25, 90)});
  for (let k = 0; k < o.orphanShocks; k++)
    shockList.push({f: null, s: 0, length: rng.int(8, 35), rise: rng.uniform(25, 90)});
  for (const shock of shockList) {
    const lag = shock.f === null ? 0 : profiles[shock.f]!.travelMinutes;
    shock.s = place(shock.length + lag + 10);
    if (shock.f !== null) {
      const p = profiles[shock.f]!;
      // A slug discharge: the factory's COD multiplies so that, diluted, the inlet rises by `rise`.
      const factor = shock.rise / (p.flowShare * p.baseCod);
      for (let m = shock.s; m < shock.s + shock.length; m++) {
        const ramp = Math.min(1, (m - shock.s + 1) / 3, (shock.s + shock.length - m) / 3);
        cod[shock.f]![m]! += p.baseCod * factor * ramp;
      }
    } else {
      for (let m = shock.s; m < shock.s + shock.length; m++)
        inletExtra[m]! += shock.rise * Math.min(1, (m - shock.s + 1) / 3, (shock.s + shock.length - m) / 3);
    }
    truthShocks.push({
      shock_id: `S${String(truthShocks.length + 1).padStart(3, "0")}`,
      factory_id: shock.f === null ? null : profiles[shock.f]!.factory_id,
      start: at(shock.s),
      end: at(shock.s + shock.length),
      inlet_start: at(shock.s + lag),
      inlet_end: at(shock.s + shock.length + lag + 3),
      inlet_rise: +shock.rise.toFixed(1)
    });
  }
  return truthShocks.sort((a, b) => a.start.getTime() - b.start.getTime());
}

/** The inlet: baseline with a slow drift, plus each factory's deviation, delayed and dispersed. */
function inletSeries(o: {rng: Rng; profiles: FactoryProfile[]; cod: Float64Array[]; inletExtra: Float64Array}) {
  const {rng, profiles, cod, inletExtra} = o;
  const minutes = inletExtra.length;
  const inlet = new Float64Array(minutes);
  let drift = 0;
  for (let m = 0; m < minutes; m++) {
    drift = 0.999 * drift + rng.normal(0, 0.05);
    let sum = 193 + drift + rng.normal(0, 2.4) + inletExtra[m]!;
    profiles.forEach((p, f) => {
      let dev = 0;
      for (let d = -1; d <= 1; d++) {
        const src = m - p.travelMinutes + d;
        if (src >= 0 && src < minutes) dev += (cod[f]![src]! - p.baseCod) / 3;
      }
      sum += p.flowShare * dev;
    });
    inlet[m] = sum;
  }
  return inlet;
}

/** The tamper cases, applied to what the sensors report (copies of the series, and which minutes report). */
function injectTamper(o: {
  place: Placer;
  profiles: FactoryProfile[];
  codOut: Float64Array[];
  tssOut: Float64Array[];
  reported: boolean[][];
  at: (m: number) => Date;
}): TruthTamper[] {
  const {place, profiles, codOut, tssOut, reported, at} = o;
  const truthTamper: TruthTamper[] = [];
  const add = (f: number, kind: TamperKind, length: number, apply: (s: number) => string | void) => {
    const s = place(length, 180, 1500); // after the first day, so a replay has a past to copy
    const source = apply(s) ?? undefined;
    truthTamper.push({
      factory_id: profiles[f]!.factory_id,
      kind,
      window_start: at(s),
      window_end: at(s + length),
      ...(source ? {source} : {})
    });
  };
  add(0, "FROZEN", 180, (s) => {
    for (let m = s; m < s + 180; m++) ((codOut[0]![m] = codOut[0]![s]!), (tssOut[0]![m] = tssOut[0]![s]!));
  });
  add(1, "BLACKOUT", 120, (s) => {
    for (let m = s; m < s + 120; m++) reported[1]![m] = false;
  });
  add(2, "DILUTION", 150, (s) => {
    for (let m = s; m < s + 150; m++) codOut[2]![m]! *= 0.1;
  });
  add(3, "FINGERPRINT", 180, (s) => {
    for (let m = s; m < s + 180; m++) ((codOut[3]![m] = codOut[1]![m]!), (tssOut[3]![m] = tssOut[1]![m]!));
    return profiles[1]!.factory_id;
  });
  add(0, "FINGERPRINT", 120, (s) => {
    for (let m = s; m < s + 120; m++)
      ((codOut[0]![m] = codOut[0]![m - 1440]!), (tssOut[0]![m] = tssOut[0]![m - 1440]!));
    return profiles[0]!.factory_id;
  });
  return truthTamper.sort((a, b) => a.window_start.getTime() - b.window_start.getTime());
}

/** What the factory sensors send: their reporting minutes, less occasional network gaps, rounded. */
function factoryReadings(o: {
  rng: Rng;
  profiles: FactoryProfile[];
  codOut: Float64Array[];
  tssOut: Float64Array[];
  reported: boolean[][];
  at: (m: number) => Date;
}): FactoryReading[] {
  const {rng, profiles, codOut, tssOut, reported, at} = o;
  const factories: FactoryReading[] = [];
  profiles.forEach((p, f) => {
    for (let m = 0; m < reported[f]!.length; m++) {
      if (!reported[f]![m]) continue;
      if (rng.bernoulli(0.002)) {
        const skip = rng.int(2, 8);
        for (let k = 0; k < skip; k++) reported[f]![m + k] = false;
        continue;
      }
      const c = codOut[f]![m]!;
      factories.push({
        ts: at(m),
        factory_id: p.factory_id,
        cod: round1(c),
        bod: round1(c * 0.42 * (1 + rng.normal(0, 0.03))),
        ph: round1(7.1 + rng.normal(0, 0.15)),
        tss: round1(tssOut[f]![m]!),
        status: "OK"
      });
    }
  });
  return factories.sort((a, b) => a.ts.getTime() - b.ts.getTime() || a.factory_id.localeCompare(b.factory_id));
}

/** The CETP's export: a row a minute with whole minutes missing; BOD and TSS every five minutes. */
function cetpReadings({rng, inlet, at}: {rng: Rng; inlet: Float64Array; at: (m: number) => Date}): CetpReading[] {
  const cetp: CetpReading[] = [];
  for (let m = 0; m < inlet.length; m++) {
    if (rng.bernoulli(0.003)) {
      m += rng.int(0, 6);
      continue;
    }
    const i = inlet[m]!;
    const every5 = m % 5 === 0;
    cetp.push({
      ts: at(m),
      inlet_cod: round1(i),
      inlet_bod: every5 ? round1(i * 0.45 * (1 + rng.normal(0, 0.03))) : null,
      inlet_ph: round1(7.3 + rng.normal(0, 0.1)),
      inlet_tss: every5 ? round1(180 + rng.normal(0, 8)) : null,
      outlet_cod: round1(i * 0.22 + rng.normal(0, 1.5)),
      outlet_bod: every5 ? round1(i * 0.05 + rng.normal(0, 0.5)) : null,
      outlet_ph: round1(7.5 + rng.normal(0, 0.08)),
      outlet_tss: every5 ? round1(40 + rng.normal(0, 3)) : null
    });
  }
  return cetp;
}

const round1 = (x: number) => Math.round(x * 10) / 10;

/**
 * A seeded CETP with its upstream factories, one-minute resolution. The inlet COD is a baseline
 * around 193 mg/L (slow drift, sd ~3) plus every factory's deviation from its own normal,
 * weighted by its share of the inflow and delayed by its travel time, lightly dispersed on the
 * way. Factories have their own baselines, noise and diurnal production cycles; one sensor
 * reports only every third minute. Known shocks and tamper cases are injected and returned as the
 * truth tables, so that attribution and detection can be scored exactly.
 */
export function simulatePlant({
  rng,
  start = new Date("2024-02-29T18:30:00Z"),
  days = 30,
  factoryCount = 5,
  shocksPerFactory = Math.max(1, Math.round((days * 4) / 30)),
  orphanShocks = Math.max(1, Math.round((days * 5) / 30)),
  tamper = days >= 3
}: SimulatePlantOptions): PlantSimulation {
  if (!(days >= MIN_DAYS))
    throw new LabError({
      reason: `a simulated plant needs at least ${MIN_DAYS} day (asked for ${days})`,
      hint: `--days ${MIN_DAYS} or more; the tamper cases are injected from 3 days`
    });
  const minutes = Math.round(days * 1440);
  const t0 = start.getTime();
  const at = (m: number) => new Date(t0 + m * MINUTE);
  const profiles = factoryProfiles({rng: rng.fork("profiles"), factoryCount});
  // One stream for the shocks' sizes and every placement, drawn in that order.
  const eventRng = rng.fork("events");
  const place = createPlacer({rng: eventRng, minutes});
  const {cod, tss} = factorySeries({rng, profiles, minutes});
  const inletExtra = new Float64Array(minutes);
  const truthShocks = injectShocks({
    rng: eventRng,
    place,
    profiles,
    cod,
    inletExtra,
    shocksPerFactory,
    orphanShocks,
    at
  });
  const inlet = inletSeries({rng: rng.fork("inlet"), profiles, cod, inletExtra});
  const reported = profiles.map((p) => Array.from({length: minutes}, (_, m) => m % p.cadenceMinutes === 0));
  const codOut = cod.map((series) => Float64Array.from(series));
  const tssOut = tss.map((series) => Float64Array.from(series));
  const truthTamper = tamper && factoryCount >= 4 ? injectTamper({place, profiles, codOut, tssOut, reported, at}) : [];
  const gapRng = rng.fork("gaps");
  const factories = factoryReadings({rng: gapRng, profiles, codOut, tssOut, reported, at});
  const cetp = cetpReadings({rng: gapRng, inlet, at});
  return {profiles, cetp, factories, truthShocks, truthTamper};
}
