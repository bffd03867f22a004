import type {Rng} from "../core/random.js";
import {emissionPatterns, type EmissionPattern, type MeterConfig, type Segment} from "./config.js";
import {SEGMENTS, type Fleet} from "./fleet.js";

/** One reading as the meter sends it (what bronze keeps, as JSON). */
export interface MeterReading {
  meter_id: string;
  reading_ts: Date;
  usage_kwh: number;
  voltage: number;
  power_factor: number;
  customer_segment: Segment;
  emission_pattern: EmissionPattern;
  is_outage: boolean;
}

/** A reading in flight: when the head end received it. A duplicate is the same reading sent again. */
export interface Delivery {
  reading: MeterReading;
  received_at: Date;
  duplicate: boolean;
}

const gauss = (x: number, mu: number, sigma: number) => Math.exp(-0.5 * ((x - mu) / sigma) ** 2);

/**
 * The smooth daily load shape of a segment at local hour h (kWh per interval at scale 1), built
 * to sit inside the reference bands: off-peak ~0.3–1.5, morning 6–9 h ~1.0–2.5, peak 14–19 h
 * ~1.5–3.5 for a house; offices plateau in business hours; plants run shifts.
 */
export function loadShape(segment: Segment, h: number): number {
  switch (segment) {
    case "RESIDENTIAL":
      return 0.55 + 1.1 * gauss(h, 7.5, 1.1) + 1.85 * gauss(h, 16.8, 2.1) + 0.6 * gauss(h, 20.5, 1.4);
    case "COMMERCIAL":
      return 0.45 + 1.3 / (1 + Math.exp(-(h - 8.5) * 2.2)) / (1 + Math.exp((h - 19) * 2)) + 0.9 * gauss(h, 15.5, 1.8);
    case "INDUSTRIAL":
      return 1.2 + 0.5 * gauss(h, 11, 3) + 0.4 * gauss(h, 19, 2.5);
  }
}

/** Outdoor temperature (°C): a seasonal swing plus a daily one, peaking mid-afternoon. */
export function temperature(date: Date, localHour: number): number {
  const doy = (date.getTime() / 86_400_000) % 365.25;
  return 26 + 6 * Math.sin((2 * Math.PI * (doy - 100)) / 365.25) + 5 * Math.sin((2 * Math.PI * (localHour - 9)) / 24);
}

export interface GenerateOptions {
  rng: Rng;
  fleet: Fleet;
  start: Date;
  days: number;
  pattern: EmissionPattern;
  config: MeterConfig;
  /** Local time zone offset (IST by default), for daily shapes. */
  utcOffsetMinutes?: number;
}

/** One interval of the whole fleet, as columns (index i is fleet[i]). */
export interface IntervalColumns {
  k: number;
  ts: Date;
  usage: Float64Array;
  voltage: Float64Array;
  powerFactor: Float64Array;
  outage: Uint8Array;
}

/**
 * The fleet's physics, one interval at a time, as columns: load follows each meter's own smooth
 * profile (segment shape, peak shift, weekday/weekend, cooling and heating with temperature) with
 * autocorrelated noise; voltage sags with the transformer's load and on occasional events; whole
 * transformers go out. No per-reading objects, so the fast writers can use it directly.
 */
export function* generateIntervals({
  rng,
  fleet,
  start,
  days,
  config,
  utcOffsetMinutes = 330,
  reuseBuffers = false
}: Omit<GenerateOptions, "pattern"> & {reuseBuffers?: boolean}): Generator<IntervalColumns> {
  const intervalMs = config.intervalMinutes * 60_000;
  const intervals = Math.round((days * 1440) / config.intervalMinutes);
  const n = fleet.length;
  const noise = new Float64Array(n);
  const noiseRng = rng.fork("noise");
  const eventRng = rng.fork("events");
  const transformers = {length: fleet.transformerCount};
  const meterTransformer = fleet.transformer;
  const outageUntil = new Int32Array(transformers.length).fill(-1);
  const outageRate = (config.outagesPerTransformerMonth / (30 * 1440)) * config.intervalMinutes;
  const voltageEvent = new Float64Array(transformers.length);
  const load = new Float64Array(transformers.length);
  const capacity = new Float64Array(transformers.length);
  const scaled = Float64Array.from(fleet.scale, (s, i) => s * config.segmentScale[fleet.segmentOf(i)]);
  const pfBase = Float64Array.from(fleet.segment, (s) => [0.95, 0.91, 0.86][s]!);
  const {peakShiftHours, weekendFactor, coolingKwhPerDegree, heatingKwhPerDegree} = fleet;
  // Shapes tabulated per minute of the day: a lookup instead of three exponentials per reading.
  const shapeTable = SEGMENTS.map((segment) =>
    Float64Array.from({length: 1440}, (_, minute) => loadShape(segment, minute / 60))
  );
  const meterShape = Array.from(fleet.segment, (s) => shapeTable[s]!);
  for (let i = 0; i < n; i++) capacity[meterTransformer[i]!]! += 3.5 * scaled[i]! * 1.3;
  const [lo, hi] = config.voltageRangeA;
  const buffers: {usage?: Float64Array; voltage?: Float64Array; powerFactor?: Float64Array; outage?: Uint8Array} = {};
  for (let k = 0; k < intervals; k++) {
    const ts = new Date(start.getTime() + k * intervalMs);
    const local = new Date(ts.getTime() + utcOffsetMinutes * 60_000);
    const hour = local.getUTCHours() + local.getUTCMinutes() / 60;
    const weekend = local.getUTCDay() === 0 || local.getUTCDay() === 6;
    const temp = temperature(ts, hour);
    for (let t = 0; t < transformers.length; t++) {
      if (outageUntil[t]! < k && eventRng.bernoulli(outageRate)) outageUntil[t] = k + eventRng.int(1, 16);
      voltageEvent[t] = eventRng.bernoulli(0.002)
        ? eventRng.bernoulli(0.7)
          ? -eventRng.uniform(6, 12)
          : eventRng.uniform(4, 8)
        : 0;
    }
    load.fill(0);
    // With reuseBuffers the same arrays come back every interval: the consumer copies them first
    // (the columnar writer does), which keeps memory flat for any fleet size.
    const usage = reuseBuffers ? (buffers.usage ??= new Float64Array(n)) : new Float64Array(n);
    const voltage = reuseBuffers ? (buffers.voltage ??= new Float64Array(n)) : new Float64Array(n);
    const powerFactor = reuseBuffers ? (buffers.powerFactor ??= new Float64Array(n)) : new Float64Array(n);
    const outage = reuseBuffers ? (buffers.outage ??= new Uint8Array(n)) : new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      noise[i] = 0.85 * noise[i]! + noiseRng.normal(0, 0.08);
      const shape = meterShape[i]![Math.round(((((hour - peakShiftHours[i]!) % 24) + 24) % 24) * 60) % 1440]!;
      const weather =
        coolingKwhPerDegree[i]! * Math.max(0, temp - 24) + heatingKwhPerDegree[i]! * Math.max(0, 16 - temp);
      const u = (shape * (weekend ? weekendFactor[i]! : 1) + weather) * scaled[i]! * Math.exp(noise[i]!);
      usage[i] = u;
      load[meterTransformer[i]!]! += u * (60 / config.intervalMinutes);
    }
    for (let i = 0; i < n; i++) {
      const t = meterTransformer[i]!;
      const out = outageUntil[t]! >= k;
      const sagFromLoad = 5 * Math.min(1.5, load[t]! / Math.max(capacity[t]!, 1e-9));
      const v = out
        ? 0
        : Math.min(hi + 6, Math.max(lo - 10, 124 - sagFromLoad + voltageEvent[t]! + noiseRng.normal(0, 0.6)));
      voltage[i] = Math.round(v * 10) / 10;
      // Power factor drifts with the same slow load noise (no extra draw: the hot loop is draw-bound).
      powerFactor[i] = Math.round(Math.min(1, pfBase[i]! - 0.12 * noise[i]!) * 1000) / 1000;
      outage[i] = out ? 1 : 0;
      usage[i] = out ? 0 : Math.round(usage[i]! * 1000) / 1000;
    }
    yield {k, ts, usage, voltage, powerFactor, outage};
  }
}

/**
 * Readings for every meter and interval, in interval order, with their deliveries under an
 * emission pattern: who reports, when it arrives (stagger, late arrivals, storm bursts for
 * DEGRADED), and re-sent duplicates. Each batch is one interval of the whole fleet.
 */
export function* generateDeliveries({
  rng,
  fleet,
  start,
  days,
  pattern,
  config,
  utcOffsetMinutes = 330,
  stormRng = rng.fork("storms")
}: GenerateOptions & {
  /** The storms' stream: a fleet generated in shards shares one (see fleet-shards.ts). */
  stormRng?: Rng;
}): Generator<Delivery[]> {
  const {reportRate, staggerSeconds, stormBursts} = emissionPatterns[pattern];
  const intervalMs = config.intervalMinutes * 60_000;
  const deliveryRng = rng.fork("delivery");
  let stormEnd = -1;
  for (const {k, ts, usage, voltage, powerFactor, outage} of generateIntervals({
    rng,
    fleet,
    start,
    days,
    config,
    utcOffsetMinutes
  })) {
    if (stormBursts && k > stormEnd && stormRng.bernoulli(1 / (3.5 * 96))) stormEnd = k + stormRng.int(4, 12);
    const inStorm = stormBursts && k <= stormEnd;
    const batch: Delivery[] = [];
    for (let i = 0; i < fleet.length; i++) {
      if (!deliveryRng.bernoulli(reportRate)) continue;
      const reading: MeterReading = {
        meter_id: fleet.id(i),
        reading_ts: ts,
        usage_kwh: usage[i]!,
        voltage: voltage[i]!,
        power_factor: powerFactor[i]!,
        customer_segment: fleet.segmentOf(i),
        emission_pattern: pattern,
        is_outage: outage[i] === 1
      };
      let received =
        ts.getTime() + intervalMs + deliveryRng.uniform(0, staggerSeconds) * 1000 + deliveryRng.uniform(0, 5000);
      if (inStorm) received = start.getTime() + (stormEnd + 1) * intervalMs + deliveryRng.uniform(0, 300_000);
      if (deliveryRng.bernoulli(config.lateRate)) received += deliveryRng.uniform(1, 6) * 3600_000;
      batch.push({reading, received_at: new Date(received), duplicate: false});
      if (deliveryRng.bernoulli(config.duplicateRate))
        batch.push({reading, received_at: new Date(received + deliveryRng.uniform(30, 900) * 1000), duplicate: true});
    }
    yield batch;
  }
}
