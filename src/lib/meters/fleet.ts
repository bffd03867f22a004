import type {Rng} from "../core/random.js";
import type {Segment} from "./config.js";

/** One meter as a row (what the `fleet` table holds, plus the load traits the generator uses). */
export interface Meter {
  meter_id: string;
  customer_segment: Segment;
  transformer_id: string;
  circuit_id: string;
  substation_id: string;
  lat: number;
  lon: number;
  /** The meter's own load: a multiplier on its segment's bands, its peak-hour shift (h), weekend factor, temperature sensitivity. */
  scale: number;
  peakShiftHours: number;
  weekendFactor: number;
  coolingKwhPerDegree: number;
  heatingKwhPerDegree: number;
}

export const SEGMENTS: readonly Segment[] = ["RESIDENTIAL", "COMMERCIAL", "INDUSTRIAL"];

/** Meters sharing a transformer, by segment: houses share, big customers have their own. */
const METERS_PER_TRANSFORMER: Record<Segment, number> = {RESIDENTIAL: 8, COMMERCIAL: 3, INDUSTRIAL: 1};
const TRANSFORMERS_PER_CIRCUIT = 20;
const CIRCUITS_PER_SUBSTATION = 5;

const pad = (n: number, width: number) => String(n).padStart(width, "0");

/**
 * A fleet held as columns (typed arrays, one slot per meter): about 60 bytes a meter, so 100,000
 * meters cost ~6 MB instead of the ~90 MB the same fleet takes as objects with id strings. Ids
 * and hierarchy names are derived from indices when asked for; `at(i)` and iteration give rows.
 */
export class Fleet implements Iterable<Meter> {
  readonly length: number;
  readonly transformerCount: number;
  constructor(
    readonly area: string,
    /** Index into SEGMENTS. */
    readonly segment: Uint8Array,
    /** 0-based transformer index; circuits group 20 transformers, substations 5 circuits. */
    readonly transformer: Int32Array,
    readonly lat: Float64Array,
    readonly lon: Float64Array,
    readonly scale: Float64Array,
    readonly peakShiftHours: Float64Array,
    readonly weekendFactor: Float64Array,
    readonly coolingKwhPerDegree: Float64Array,
    readonly heatingKwhPerDegree: Float64Array
  ) {
    this.length = segment.length;
    this.transformerCount = this.length ? transformer[this.length - 1]! + 1 : 0;
  }
  /** `MTR-<AREA>-000123` for index 122. */
  id(i: number): string {
    return `MTR-${this.area}-${pad(i + 1, 6)}`;
  }
  segmentOf(i: number): Segment {
    return SEGMENTS[this.segment[i]!]!;
  }
  transformerId(t: number): string {
    return `TX-${this.area}-${pad(t + 1, 5)}`;
  }
  at(i: number): Meter {
    const t = this.transformer[i]!;
    const circuit = Math.floor(t / TRANSFORMERS_PER_CIRCUIT);
    return {
      meter_id: this.id(i),
      customer_segment: this.segmentOf(i),
      transformer_id: this.transformerId(t),
      circuit_id: `CKT-${this.area}-${pad(circuit + 1, 4)}`,
      substation_id: `SUB-${this.area}-${pad(Math.floor(circuit / CIRCUITS_PER_SUBSTATION) + 1, 3)}`,
      lat: this.lat[i]!,
      lon: this.lon[i]!,
      scale: this.scale[i]!,
      peakShiftHours: this.peakShiftHours[i]!,
      weekendFactor: this.weekendFactor[i]!,
      coolingKwhPerDegree: this.coolingKwhPerDegree[i]!,
      heatingKwhPerDegree: this.heatingKwhPerDegree[i]!
    };
  }
  *[Symbol.iterator](): Iterator<Meter> {
    for (let i = 0; i < this.length; i++) yield this.at(i);
  }
  /**
   * Every meter id as one UTF-8 byte blob with offsets (ids are ASCII), for writers that build
   * Arrow string columns by copying bytes.
   */
  idBytes(): {bytes: Uint8Array; offsets: Int32Array} {
    const offsets = new Int32Array(this.length + 1);
    const prefix = `MTR-${this.area}-`;
    for (let i = 0; i < this.length; i++)
      offsets[i + 1] = offsets[i]! + prefix.length + Math.max(6, String(i + 1).length);
    const bytes = new Uint8Array(offsets[this.length]!);
    for (let i = 0; i < this.length; i++) {
      const id = this.id(i);
      for (let c = 0; c < id.length; c++) bytes[offsets[i]! + c] = id.charCodeAt(c);
    }
    return {bytes, offsets};
  }
}

/**
 * A fleet: ids `MTR-<AREA>-000123`, segments drawn to the utility mix (exact counts, shuffled),
 * a transformer → circuit (20 transformers) → substation (5 circuits) hierarchy, coordinates
 * clustered by transformer around the service area's centre, and each meter's own load traits.
 */
export function generateFleet({
  rng,
  meters,
  mix,
  area = "PUN",
  center = [18.52, 73.86],
  radiusKm = 12
}: {
  rng: Rng;
  meters: number;
  mix: Record<Segment, number>;
  area?: string;
  center?: [number, number];
  radiusKm?: number;
}): Fleet {
  const segments: Segment[] = [];
  const entries = Object.entries(mix) as [Segment, number][];
  let assigned = 0;
  entries.forEach(([segment, share], i) => {
    const n = i === entries.length - 1 ? meters - assigned : Math.round(share * meters);
    for (let k = 0; k < n; k++) segments.push(segment);
    assigned += n;
  });
  const order = rng.fork("segments").shuffle(segments);
  const traits = rng.fork("traits");
  const geo = rng.fork("geo");
  const segment = new Uint8Array(meters);
  const transformerOf = new Int32Array(meters);
  const [lat, lon, scale, peakShift, weekend, cooling, heating] = Array.from(
    {length: 7},
    () => new Float64Array(meters)
  );
  let transformer = -1;
  let onTransformer = 0;
  let transformerSegment: Segment | undefined;
  let site: [number, number] = center;
  const kmLat = 1 / 110.574;
  const kmLon = 1 / (111.32 * Math.cos((center[0] * Math.PI) / 180));
  for (let i = 0; i < meters; i++) {
    const s = order[i]!;
    if (s !== transformerSegment || onTransformer >= METERS_PER_TRANSFORMER[s]) {
      transformer++;
      onTransformer = 0;
      transformerSegment = s;
      const r = radiusKm * Math.sqrt(geo.next());
      const angle = geo.uniform(0, 2 * Math.PI);
      site = [center[0] + r * Math.sin(angle) * kmLat, center[1] + r * Math.cos(angle) * kmLon];
    }
    onTransformer++;
    segment[i] = SEGMENTS.indexOf(s);
    transformerOf[i] = transformer;
    lat![i] = +(site[0] + geo.normal(0, 0.0008)).toFixed(6);
    lon![i] = +(site[1] + geo.normal(0, 0.0008)).toFixed(6);
    scale![i] = Math.exp(traits.normal(0, 0.25));
    peakShift![i] = traits.normal(0, 0.75);
    weekend![i] =
      s === "RESIDENTIAL"
        ? traits.uniform(1.05, 1.25)
        : s === "COMMERCIAL"
          ? traits.uniform(0.35, 0.6)
          : traits.uniform(0.6, 0.85);
    cooling![i] = traits.uniform(0.01, 0.05);
    heating![i] = traits.uniform(0.0, 0.02);
  }
  return new Fleet(area, segment, transformerOf, lat!, lon!, scale!, peakShift!, weekend!, cooling!, heating!);
}
