import {mkdirSync, rmSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {openDuckDB} from "../core/duckdb.js";
import {LabError} from "../core/errors.js";
import type {Pipeline} from "../core/pipeline.js";
import {writeParquet} from "../core/parquet-write.js";
import {createRng} from "../core/random.js";
import {defaultMeterConfig, emissionPatterns, presets, utilityProfiles, type EmissionPattern} from "./config.js";
import {generateFleet} from "./fleet.js";
import {buildMedallion} from "./medallion.js";
import {generateDeliveries} from "./readings.js";

export const fleetColumns = [
  "meter_id:VARCHAR",
  "customer_segment:VARCHAR",
  "transformer_id:VARCHAR",
  "circuit_id:VARCHAR",
  "substation_id:VARCHAR",
  "lat:DOUBLE",
  "lon:DOUBLE"
].map((s) => {
  const [name, type] = s.split(":") as [string, string];
  return {name, type};
});

export interface RunMetersOptions {
  outDir: string;
  seed: number;
  meters: number;
  days: number;
  pattern: EmissionPattern;
  profile?: string;
  start?: Date;
  log?: (line: string) => void;
}

/** Fleet → bronze (every delivery, JSON as received) → silver and gold, as Parquet in outDir. */
export async function runMeters({
  outDir,
  seed,
  meters,
  days,
  pattern,
  profile = "default",
  start = new Date("2024-06-02T18:30:00Z"),
  log = () => {}
}: RunMetersOptions) {
  const mix = utilityProfiles[profile];
  if (!mix)
    throw new LabError({
      column: "--profile",
      reason: `unknown utility profile "${profile}"; one of ${Object.keys(utilityProfiles).join(", ")}`
    });
  if (!(pattern in emissionPatterns))
    throw new LabError({
      column: "--pattern",
      reason: `unknown emission pattern "${pattern}"; one of ${Object.keys(emissionPatterns).join(", ")}`
    });
  mkdirSync(outDir, {recursive: true});
  const rng = createRng(seed);
  const fleet = generateFleet({rng: rng.fork("fleet"), meters, mix});
  const fleetPath = join(outDir, "fleet.parquet");
  const tables = [
    {
      name: "fleet",
      path: fleetPath,
      rows: (await writeParquet({path: fleetPath, columns: fleetColumns, rows: fleet})).rows
    }
  ];
  const bronzePath = join(outDir, "readings_bronze.parquet");
  const config = defaultMeterConfig;
  async function* bronze() {
    for (const batch of generateDeliveries({rng: rng.fork("readings"), fleet, start, days, pattern, config})) {
      yield batch.map((d) => ({
        ingested_at: d.received_at,
        payload: JSON.stringify({...d.reading, reading_ts: d.reading.reading_ts.toISOString()})
      }));
    }
  }
  const bronzeRows = await writeParquet({
    path: bronzePath,
    columns: [
      {name: "ingested_at", type: "TIMESTAMP"},
      {name: "payload", type: "JSON"}
    ],
    rows: bronze(),
    onProgress: (n) => log(`bronze: ${n.toLocaleString("en-US")} deliveries`)
  });
  tables.push({name: "readings_bronze", path: bronzePath, rows: bronzeRows.rows});
  const scratch = join(tmpdir(), `lab-meters-${process.pid}`);
  mkdirSync(scratch, {recursive: true});
  const duck = await openDuckDB({tempDirectory: scratch});
  try {
    const end = new Date(start.getTime() + days * 86_400_000);
    tables.push(...(await buildMedallion({duck, bronzePath, fleetPath, start, end, config, outDir})));
  } finally {
    duck.close();
    rmSync(scratch, {recursive: true, force: true});
  }
  return tables;
}

export const metersPipeline: Pipeline = {
  name: "meters",
  title: "Smart meters (AMI)",
  summary: "A realistic metering fleet, every delivery in bronze, validated silver readings and gold rollups.",
  page: "/pages/meters/",
  usage:
    "lab run meters [--preset quick-demo|se-demo|enterprise-poc|ml-training] [--meters N --days D] [--pattern UNIFORM|STAGGERED|PARTIAL|DEGRADED] [--profile default|suburban|urban-commercial|industrial-park] --out DIR",
  tables: [
    {name: "fleet", description: "one row per meter: segment, transformer, circuit, substation, location"},
    {name: "readings_bronze", description: "every delivery as received (duplicates and late arrivals included)"},
    {
      name: "readings",
      description: "silver: one row per meter and 15-minute interval, typed, deduplicated, gaps ≤ 1 h estimated"
    },
    {name: "meter_daily", description: "gold: per meter and day, with completeness"},
    {name: "segment_daily", description: "gold: per customer segment and day"},
    {name: "transformer_daily", description: "gold: per transformer and day"}
  ],
  async run({outDir, seed, flags, log}) {
    const preset = presets[String(flags.preset ?? "quick-demo")];
    if (!preset)
      throw new LabError({
        column: "--preset",
        reason: `unknown preset "${flags.preset}"; one of ${Object.keys(presets).join(", ")}`
      });
    const meters = flags.meters ? Number(flags.meters) : preset.meters;
    const days = flags.days ? Number(flags.days) : preset.days;
    if (!(meters >= 1 && meters <= 100_000))
      throw new LabError({column: "--meters", reason: "fleet size must be between 1 and 100,000"});
    const tables = await runMeters({
      outDir,
      seed,
      meters,
      days,
      pattern: String(flags.pattern ?? "STAGGERED").toUpperCase() as EmissionPattern,
      profile: flags.profile ? String(flags.profile) : undefined,
      log
    });
    log(`meters: ${meters} meters × ${days} days → ${tables.map((t) => `${t.name} ${t.rows}`).join(", ")}`);
    return {tables};
  }
};
