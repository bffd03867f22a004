/**
 * A big fleet's readings generated in shards: ranges of whole transformers (a transformer's load
 * sags its meters' voltage and an outage takes all of them, so a transformer never straddles two
 * shards), each with random streams of its own, so shards run anywhere in any order — on local
 * threads or as units on `lab worker` processes (src/lib/catalog/units.ts) — and give the same
 * bronze for a seed. Shard 0 draws from the streams an unsharded fleet always used, so a fleet
 * that fits in one shard is generated exactly as before; storms are the fleet's (one stream,
 * every shard), not a shard's.
 */
import {join} from "node:path";
import type {UnitHandler, UnitTask} from "../catalog/units.js";
import {writeParquet} from "../core/parquet-write.js";
import {createRng, type Rng} from "../core/random.js";
import {defaultMeterConfig, utilityProfiles, type EmissionPattern, type MeterConfig} from "./config.js";
import {Fleet, generateFleet} from "./fleet.js";
import {generateDeliveries} from "./readings.js";

/** Meters per shard when the spec does not say: fleets up to this size are one shard. */
export const DEFAULT_SHARD_METERS = 5000;

/** One shard: meters [from, to) of the fleet. */
export interface FleetShard {
  index: number;
  from: number;
  to: number;
}

/** The shards of a fleet: about `shardMeters` meters each, cut only between transformers. */
export function fleetShards({fleet, shardMeters}: {fleet: Fleet; shardMeters: number}): FleetShard[] {
  const shards: FleetShard[] = [];
  let from = 0;
  for (let i = 1; i <= fleet.length; i++) {
    const cut = i === fleet.length || (i - from >= shardMeters && fleet.transformer[i] !== fleet.transformer[i - 1]);
    if (cut) (shards.push({index: shards.length, from, to: i}), (from = i));
  }
  return shards;
}

/** Meters [from, to) of a fleet as a fleet of their own that keeps their ids (transformers renumbered from 0). */
class FleetSlice extends Fleet {
  constructor(
    private readonly parent: Fleet,
    private readonly from: number,
    to: number
  ) {
    const first = parent.transformer[from] ?? 0;
    super(
      parent.area,
      parent.segment.subarray(from, to),
      Int32Array.from(parent.transformer.subarray(from, to), (t) => t - first),
      parent.lat.subarray(from, to),
      parent.lon.subarray(from, to),
      parent.scale.subarray(from, to),
      parent.peakShiftHours.subarray(from, to),
      parent.weekendFactor.subarray(from, to),
      parent.coolingKwhPerDegree.subarray(from, to),
      parent.heatingKwhPerDegree.subarray(from, to)
    );
  }
  override id(i: number): string {
    return this.parent.id(this.from + i);
  }
}

/** The readings streams of shard `index`: shard 0 has the unsharded fleet's own. */
export function shardReadingsRng({rng, index}: {rng: Rng; index: number}): {readings: Rng; storms: Rng} {
  const readings = rng.fork("readings");
  return {readings: index === 0 ? readings : readings.fork(`shard-${index}`), storms: readings.fork("storms")};
}

/**
 * Bronze for some meters: every delivery as received (`ingested_at`, the reading as JSON), in
 * interval order — the `readings_bronze` table's rows.
 */
export async function writeBronze({
  path,
  fleet,
  rng,
  storms,
  start,
  days,
  pattern,
  config,
  log = () => {}
}: {
  path: string;
  fleet: Fleet;
  rng: Rng;
  storms: Rng;
  start: Date;
  days: number;
  pattern: EmissionPattern;
  config: MeterConfig;
  log?: (line: string) => void;
}): Promise<number> {
  async function* rows() {
    for (const batch of generateDeliveries({rng, stormRng: storms, fleet, start, days, pattern, config})) {
      yield batch.map((d) => ({
        ingested_at: d.received_at,
        payload: JSON.stringify({...d.reading, reading_ts: d.reading.reading_ts.toISOString()})
      }));
    }
  }
  const written = await writeParquet({
    path,
    columns: [
      {name: "ingested_at", type: "TIMESTAMP"},
      {name: "payload", type: "JSON"}
    ],
    rows: rows(),
    onProgress: (n) => log(`bronze: ${n.toLocaleString("en-US")} deliveries`)
  });
  return written.rows;
}

/** What a shard unit is given: enough to regenerate the fleet and its own meters' readings. */
export interface MeterShardInput {
  seed: number;
  meters: number;
  profile: string;
  days: number;
  pattern: EmissionPattern;
  /** ISO time of the first interval. */
  start: string;
  shard: FleetShard;
}

export interface MeterShardOutput {
  shard: number;
  bronzePath: string;
  rows: number;
}

/** One shard's bronze, written as `bronze.parquet` into the unit's folder. */
export const meterShardUnit: UnitHandler<MeterShardInput, MeterShardOutput> = {
  name: "meter-shard",
  async run(input, {outDir, log}) {
    const rng = createRng(input.seed);
    // The fleet is regenerated (milliseconds for 100,000 meters) rather than shipped with the unit.
    const fleet = generateFleet({rng: rng.fork("fleet"), meters: input.meters, mix: utilityProfiles[input.profile]!});
    const {index, from, to} = input.shard;
    const streams = shardReadingsRng({rng, index});
    const bronzePath = join(outDir, "bronze.parquet");
    const rows = await writeBronze({
      path: bronzePath,
      fleet: new FleetSlice(fleet, from, to),
      rng: streams.readings,
      storms: streams.storms,
      start: new Date(input.start),
      days: input.days,
      pattern: input.pattern,
      config: defaultMeterConfig,
      log
    });
    log(`shard ${index}: meters ${from + 1}–${to}, ${rows.toLocaleString("en-US")} deliveries`);
    return {shard: index, bronzePath, rows};
  }
};

/** The units of one emission pattern's run: a shard each. */
export function meterShardTasks(o: Omit<MeterShardInput, "shard"> & {shards: FleetShard[]}): UnitTask[] {
  const {shards, ...rest} = o;
  return shards.map((shard) => ({
    id: `${o.pattern}-shard-${String(shard.index).padStart(4, "0")}`,
    module: import.meta.url,
    exportName: "meterShardUnit",
    input: {...rest, shard} satisfies MeterShardInput
  }));
}
