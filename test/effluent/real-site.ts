import {join} from "node:path";
import {createRng} from "../../src/lib/core/random.js";
import {simulatePlant, type PlantSimulation} from "../../src/lib/effluent/simulate.js";
import type {CetpReading, FactoryReading} from "../../src/lib/effluent/types.js";
import {writeFactoryFeeds, writeMpcbExport} from "../../src/lib/effluent/write-feeds.js";

const MINUTE = 60_000;

/** A hole shared by the export and every feed: the plant's logger down. */
export interface LoggerHole {
  from: number;
  to: number;
  /** true: the export has no rows there; false: its rows are there, every value NA. */
  rowsMissing: boolean;
}

export interface RealSite {
  simulation: PlantSimulation;
  cetpPath: string;
  factoryDir: string;
  t0: number;
  at: (minute: number) => Date;
  holes: LoggerHole[];
  /** The factory stuck at one value for the whole month (its sensor reports every third minute). */
  frozen: {factory_id: string; cod: number};
  /** The factory silent for ~20 minutes while it discharges the slug behind a spike. */
  evasion: {factory_id: string; silentFrom: number; silentTo: number; inletFrom: number; inletTo: number};
  /** A factory whose rows are all NA for four hours while everyone else reports. */
  naStretch: {factory_id: string; from: number; to: number};
}

const blankFactory = (ts: Date, factory_id: string): FactoryReading => ({
  ts,
  factory_id,
  cod: null,
  bod: null,
  ph: null,
  tss: null,
  status: "OK"
});

const blankCetp = (ts: Date): CetpReading => ({
  ts,
  inlet_cod: null,
  inlet_bod: null,
  inlet_ph: null,
  inlet_tss: null,
  outlet_cod: null,
  outlet_bod: null,
  outlet_ph: null,
  outlet_tss: null
});

/**
 * A month at a CETP written exactly as a real site delivers it: the MPCB export with a row every
 * minute (`NA` where a sensor had nothing; the outlet analyser reports every third minute) and
 * factory feeds with a row every minute (empty fields between a 3-minute sensor's readings). On top
 * of the simulated plant: 24 logger holes shared by the export and every feed (half as missing
 * rows, half as NA rows), F02 stuck at one value all month, F05 silent for ~20 minutes while it
 * discharges a slug (the spike it causes reaches the inlet after its travel time), and F04's rows
 * all NA for four hours.
 */
export function writeRealSite({dir, seed}: {dir: string; seed: number}): RealSite {
  const simulation = simulatePlant({rng: createRng(seed), days: 30, tamper: false});
  const minutes = 30 * 1440;
  const t0 = simulation.cetp[0]!.ts.getTime();
  const at = (m: number) => new Date(t0 + m * MINUTE);
  const minuteOf = (d: Date) => Math.round((d.getTime() - t0) / MINUTE);
  const rng = createRng(`real site ${seed}`);
  // Busy: every truth shock from its factory-side start to its inlet end, with an hour either side.
  const busy: [number, number][] = simulation.truthShocks.map((t) => [
    minuteOf(t.start) - 60,
    minuteOf(t.inlet_end) + 60
  ]);
  const place = (length: number): number => {
    for (let tries = 0; tries < 5000; tries++) {
      const s = rng.int(1440, minutes - 1440 - length);
      if (busy.every(([a, b]) => s + length < a || s > b)) {
        busy.push([s - 120, s + length + 120]);
        return s;
      }
    }
    throw new Error("no room for another case");
  };
  const profile = (id: string) => simulation.profiles.find((p) => p.factory_id === id)!;
  const evasionLength = 21;
  const evasionFrom = place(evasionLength + 60);
  const lag = profile("F05").travelMinutes;
  const evasion = {
    factory_id: "F05",
    silentFrom: evasionFrom,
    silentTo: evasionFrom + evasionLength - 1,
    inletFrom: evasionFrom + 4 + lag,
    inletTo: evasionFrom + 16 + lag
  };
  const naFrom = place(240);
  const naStretch = {factory_id: "F04", from: naFrom, to: naFrom + 239};
  const holes: LoggerHole[] = Array.from({length: 24}, (_, i) => {
    const length = rng.int(15, 90);
    const from = place(length);
    return {from, to: from + length - 1, rowsMissing: i % 2 === 0};
  }).sort((a, b) => a.from - b.from);
  const inHole = (m: number) => holes.find((h) => m >= h.from && m <= h.to);
  const frozen = {factory_id: "F02", cod: 640};

  // The export: a row every minute, the outlet every third minute, NA where nothing was logged.
  const cetpByMinute = new Map(simulation.cetp.map((r) => [minuteOf(r.ts), r]));
  const cetp: CetpReading[] = [];
  for (let m = 0; m < minutes; m++) {
    const hole = inHole(m);
    if (hole?.rowsMissing) continue;
    const sim = cetpByMinute.get(m);
    if (hole || !sim) {
      cetp.push(blankCetp(at(m)));
      continue;
    }
    const row = {...sim};
    if (m >= evasion.inletFrom && m <= evasion.inletTo) {
      const ramp = Math.min(1, (m - evasion.inletFrom + 1) / 3, (evasion.inletTo - m + 1) / 3);
      row.inlet_cod = Math.round((sim.inlet_cod! + 70 * ramp) * 10) / 10;
    }
    if (m % 3 !== 0) row.outlet_cod = row.outlet_bod = row.outlet_ph = row.outlet_tss = null;
    cetp.push(row);
  }

  // The feeds: a row every minute per factory, empty where the sensor sent nothing.
  const byFactory = new Map<string, Map<number, FactoryReading>>();
  for (const r of simulation.factories) {
    const list = byFactory.get(r.factory_id) ?? new Map<number, FactoryReading>();
    list.set(minuteOf(r.ts), r);
    byFactory.set(r.factory_id, list);
  }
  const feeds: FactoryReading[] = [];
  for (const [id, readings] of byFactory)
    for (let m = 0; m < minutes; m++) {
      const sim = readings.get(m);
      const silent =
        !sim ||
        inHole(m) ||
        (id === "F02" && m % 3 !== 0) ||
        (id === evasion.factory_id && m >= evasion.silentFrom && m <= evasion.silentTo) ||
        (id === naStretch.factory_id && m >= naStretch.from && m <= naStretch.to);
      if (silent) feeds.push(blankFactory(at(m), id));
      else feeds.push(id === frozen.factory_id ? {...sim, cod: frozen.cod} : sim);
    }
  const cetpPath = join(dir, "cetp_mpcb_export.csv");
  const factoryDir = join(dir, "factories");
  writeMpcbExport({path: cetpPath, readings: cetp});
  writeFactoryFeeds({dir: factoryDir, readings: feeds});
  return {simulation, cetpPath, factoryDir, t0, at, holes, frozen, evasion, naStretch};
}
