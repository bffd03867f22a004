import type {Rng} from "../core/random.js";
import type {Segment} from "./config.js";

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

/** Meters sharing a transformer, by segment: houses share, big customers have their own. */
const METERS_PER_TRANSFORMER: Record<Segment, number> = {RESIDENTIAL: 8, COMMERCIAL: 3, INDUSTRIAL: 1};

/**
 * A fleet: ids `MTR-<AREA>-000123`, segments drawn to the utility mix (exact counts, shuffled),
 * a transformer → circuit (20 transformers) → substation (5 circuits) hierarchy, coordinates
 * clustered by transformer around the service area's centre, and each meter's own load traits.
 */
export function generateFleet({rng, meters, mix, area = "PUN", center = [18.52, 73.86], radiusKm = 12}: {rng: Rng; meters: number; mix: Record<Segment, number>; area?: string; center?: [number, number]; radiusKm?: number}): Meter[] {
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
  const fleet: Meter[] = [];
  let transformer = 0;
  let onTransformer = 0;
  let transformerSegment: Segment | undefined;
  let site: [number, number] = center;
  const kmLat = 1 / 110.574;
  const kmLon = 1 / (111.32 * Math.cos((center[0] * Math.PI) / 180));
  for (let i = 0; i < meters; i++) {
    const segment = order[i]!;
    if (segment !== transformerSegment || onTransformer >= METERS_PER_TRANSFORMER[segment]) {
      transformer++;
      onTransformer = 0;
      transformerSegment = segment;
      const r = radiusKm * Math.sqrt(geo.next());
      const angle = geo.uniform(0, 2 * Math.PI);
      site = [center[0] + r * Math.sin(angle) * kmLat, center[1] + r * Math.cos(angle) * kmLon];
    }
    onTransformer++;
    const circuit = Math.ceil(transformer / 20);
    fleet.push({
      meter_id: `MTR-${area}-${String(i + 1).padStart(6, "0")}`,
      customer_segment: segment,
      transformer_id: `TX-${area}-${String(transformer).padStart(5, "0")}`,
      circuit_id: `CKT-${area}-${String(circuit).padStart(4, "0")}`,
      substation_id: `SUB-${area}-${String(Math.ceil(circuit / 5)).padStart(3, "0")}`,
      lat: +(site[0] + geo.normal(0, 0.0008)).toFixed(6),
      lon: +(site[1] + geo.normal(0, 0.0008)).toFixed(6),
      scale: Math.exp(traits.normal(0, 0.25)),
      peakShiftHours: traits.normal(0, 0.75),
      weekendFactor: segment === "RESIDENTIAL" ? traits.uniform(1.05, 1.25) : segment === "COMMERCIAL" ? traits.uniform(0.35, 0.6) : traits.uniform(0.6, 0.85),
      coolingKwhPerDegree: traits.uniform(0.01, 0.05),
      heatingKwhPerDegree: traits.uniform(0.0, 0.02)
    });
  }
  return fleet;
}
