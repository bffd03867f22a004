import {mkdirSync, readFileSync, rmSync} from "node:fs";
import {availableParallelism, tmpdir} from "node:os";
import {join} from "node:path";
import {openDuckDB} from "../core/duckdb.js";
import {LabError} from "../core/errors.js";
import {flag} from "../core/flags.js";
import type {Pipeline} from "../core/pipeline.js";
import {writeParquet} from "../core/parquet-write.js";
import {createRng} from "../core/random.js";
import {quoteList} from "../core/sql.js";
import {folderSink, type TableSink, type WrittenTable} from "../core/table-sink.js";
import {defaultMeterConfig, emissionPatterns, presets, utilityProfiles, type EmissionPattern} from "./config.js";
import {generateFleet} from "./fleet.js";
import {buildMedallion, MEDALLION_TABLES} from "./medallion.js";
import {startAmiFeed} from "./feed-server.js";
import {landAmi} from "./land.js";
import {DEFAULT_SHARD_METERS, fleetShards, meterShardTasks} from "./fleet-shards.js";
import {shardedBronze} from "./sharded-bronze.js";
import {loadConfig} from "../catalog/config.js";
import {resolveQueueUrl} from "../catalog/queue-url.js";
import {unitsSetting, type UnitsSetting} from "../catalog/units.js";
import {runReadingsDataset} from "./readings-dataset.js";
import {READINGS_FILE} from "./readings-file.js";
import {fleetColumns, STREAM_LATENCY_COLUMNS} from "./tables.js";

export interface RunMetersOptions {
  outDir: string;
  seed: number;
  meters: number;
  days: number;
  pattern: EmissionPattern;
  profile?: string;
  start?: Date;
  /** Meters per shard of the readings' generation (fleet-shards.ts); a fleet this size or smaller is one shard. */
  shardMeters?: number;
  /** Where shards run when there are several (local threads or the queue); without it, here one after another. */
  units?: UnitsSetting;
  log?: (line: string) => void;
}

/** One emission pattern: fleet → bronze (every delivery, JSON as received) → silver and gold, as Parquet in outDir. */
export async function runMeters({
  outDir,
  seed,
  meters,
  days,
  pattern,
  profile = "default",
  start = new Date("2024-06-02T18:30:00Z"),
  shardMeters = DEFAULT_SHARD_METERS,
  units,
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
  const scratch = join(tmpdir(), `lab-meters-${process.pid}-${Date.now()}`);
  mkdirSync(scratch, {recursive: true});
  const duck = await openDuckDB({tempDirectory: scratch});
  try {
    const shards = fleetShards({fleet, shardMeters});
    const bronzeRows = await shardedBronze({
      duck,
      bronzePath,
      tasks: meterShardTasks({seed, meters, profile, days, pattern, start: start.toISOString(), shards}),
      workDir: join(outDir, ".shards"),
      units,
      log
    });
    tables.push({name: "readings_bronze", path: bronzePath, rows: bronzeRows});
    const end = new Date(start.getTime() + days * 86_400_000);
    tables.push(...(await buildMedallion({duck, bronzePath, fleetPath, start, end, config, outDir})));
  } finally {
    duck.close();
    rmSync(scratch, {recursive: true, force: true});
  }
  return tables;
}

export interface MeterFleetSpec {
  /** Named size (`quick-demo`, …) that `meters` and `days` override. */
  preset?: string;
  /** Emission patterns: the same fleet (same seed) is run once per pattern. */
  patterns?: string[];
  profile?: string;
  seed?: number;
  meters?: number;
  days?: number;
  /** A short run of the real stream on loopback (feed → lander) for `stream_latency`. */
  stream?: {ratePerSecond: number; seconds: number};
  /** Meters per shard of the readings' generation (default 5,000: smaller fleets are one shard). */
  shardMeters?: number;
}

/** Per-pattern tables: every one carries the emission pattern of its run as `run_pattern`. */
export const PATTERN_TABLES = ["readings_bronze", ...MEDALLION_TABLES];

/**
 * The meters pipeline from a fleet spec to every table: the fleet once, then bronze, silver and
 * gold once per emission pattern (tagged `run_pattern`, so pages compare data quality across
 * patterns), and the stream's latencies when `stream` is set. `lab run meters` and the catalog's
 * simulation plugin are both this call.
 */
export async function runMetersTables({
  spec,
  scratchDir,
  sink,
  units,
  log = () => {},
  file
}: {
  spec: MeterFleetSpec;
  scratchDir: string;
  sink: TableSink;
  /** Where a fleet's shards run (local threads or the queue); without it, one after another here. */
  units?: UnitsSetting;
  log?: (line: string) => void;
  /** The spec's file, for errors about it. */
  file?: string;
}): Promise<{meters: number; days: number; patterns: EmissionPattern[]}> {
  const preset = presets[spec.preset ?? "quick-demo"];
  if (!preset)
    throw new LabError({
      file,
      column: "preset",
      reason: `unknown preset "${spec.preset}"; one of ${Object.keys(presets).join(", ")}`
    });
  const patterns = (spec.patterns ?? ["STAGGERED"]).map((p) => p.toUpperCase()) as EmissionPattern[];
  for (const p of patterns)
    if (!(p in emissionPatterns))
      throw new LabError({
        file,
        column: "patterns",
        reason: `unknown emission pattern "${p}"; one of ${Object.keys(emissionPatterns).join(", ")}`
      });
  const meters = spec.meters ?? preset.meters;
  const days = spec.days ?? preset.days;
  if (!(meters >= 1 && meters <= 100_000))
    throw new LabError({file, column: "meters", reason: "fleet size must be between 1 and 100,000"});
  if (!(Number.isInteger(days) && days >= 1))
    throw new LabError({file, column: "days", reason: `"days" must be a whole number of at least 1, got ${days}`});
  const shardMeters = spec.shardMeters ?? DEFAULT_SHARD_METERS;
  if (!(Number.isInteger(shardMeters) && shardMeters >= 1))
    throw new LabError({
      file,
      column: "shardMeters",
      reason: `"shardMeters" must be a whole number of at least 1, got ${shardMeters}`
    });
  const dirs: string[] = [];
  for (const pattern of patterns) {
    const outDir = join(scratchDir, pattern);
    await runMeters({
      outDir,
      seed: spec.seed ?? 1,
      meters,
      days,
      pattern,
      profile: spec.profile,
      shardMeters,
      ...(units ? {units} : {}),
      log
    });
    dirs.push(outDir);
  }
  await sink.writeQuery("fleet", `SELECT * FROM read_parquet(${quoteList([join(dirs[0]!, "fleet.parquet")])})`);
  for (const table of PATTERN_TABLES) {
    const tagged = dirs.map(
      (dir, i) =>
        `SELECT *, '${patterns[i]}' AS run_pattern FROM read_parquet(${quoteList([join(dir, `${table}.parquet`)])})`
    );
    await sink.writeQuery(table, tagged.join(" UNION ALL BY NAME "));
  }
  if (spec.stream) await streamLatency({spec, stream: spec.stream, meters, scratchDir, sink});
  return {meters, days, patterns};
}

/** The real stream on loopback for a few seconds: every delivery's latency from feed to lander commit. */
async function streamLatency({
  spec,
  stream,
  meters,
  scratchDir,
  sink
}: {
  spec: MeterFleetSpec;
  stream: {ratePerSecond: number; seconds: number};
  meters: number;
  scratchDir: string;
  sink: TableSink;
}): Promise<void> {
  const feed = await startAmiFeed({
    token: "build",
    ratePerSecond: stream.ratePerSecond,
    meters,
    days: 1,
    pattern: "UNIFORM",
    seed: spec.seed ?? 1,
    batchSize: Math.max(10, Math.round(stream.ratePerSecond / 50))
  });
  const controller = new AbortController();
  setTimeout(() => controller.abort(), stream.seconds * 1000);
  const commits: {commit: number; from: number; to: number; latency_ms: number}[] = [];
  await landAmi({
    url: feed.url,
    token: "build",
    outDir: join(scratchDir, "stream"),
    commitMs: 200,
    signal: controller.signal,
    onCommit: ({from, to, latenciesMs}) =>
      latenciesMs.forEach((latency_ms) => commits.push({commit: commits.length, from, to, latency_ms}))
  });
  await feed.close();
  await sink.write("stream_latency", {
    columns: STREAM_LATENCY_COLUMNS,
    rows: commits.map((c) => ({commit: c.commit, from_offset: c.from, to_offset: c.to, latency_ms: c.latency_ms}))
  });
}

export const metersPipeline: Pipeline = {
  name: "meters",
  usage:
    "lab run meters [--preset quick-demo|se-demo|enterprise-poc|ml-training] [--meters N --days D] [--pattern UNIFORM|STAGGERED|PARTIAL|DEGRADED[,…]] [--profile default|suburban|urban-commercial|industrial-park] [--stream-rate N --stream-seconds S] --out DIR   [--shard-meters 5000] [--queue]   (or a *.sim.json fleet spec, or --dataset DIR of readings CSV/Parquet files: see docs/meters.md)",
  flags: [
    ...["preset", "pattern", "profile"].map(flag.string),
    flag.count("meters", {max: 100_000}),
    flag.count("days"),
    flag.count("shard-meters"),
    flag.boolean("queue"),
    flag.positive("stream-rate"),
    flag.positive("stream-seconds")
  ],
  async run({dataset, outDir, seed, flags, files, log}) {
    const readingFiles = files.filter((f) => READINGS_FILE.test(f));
    if (readingFiles.length) {
      // Like the catalog's routing: a README or notes beside the readings are not readings.
      for (const other of files.filter((f) => !READINGS_FILE.test(f)))
        log(`${other}: not a readings file (.csv, .csv.gz, .parquet), left out`);
      let tables: WrittenTable[] = [];
      const {rows} = await runReadingsDataset({
        files: readingFiles,
        dataset,
        scratchDir: join(outDir, ".work"),
        sink: (duck) => {
          const sink = folderSink({outDir, duck, dataset: dataset.name});
          tables = sink.tables;
          return sink;
        },
        log
      });
      log(
        `meters: ${rows} rows of ${readingFiles.length} file(s) → ${tables.map((t) => `${t.name} ${t.rows}`).join(", ")}`
      );
      return {tables};
    }
    const specFile = files.find((f) => f.endsWith(".json"));
    const spec: MeterFleetSpec = specFile
      ? (JSON.parse(readFileSync(specFile, "utf-8")) as MeterFleetSpec)
      : {
          preset: String(flags.preset ?? "quick-demo"),
          patterns: String(flags.pattern ?? "STAGGERED").split(","),
          profile: flags.profile ? String(flags.profile) : undefined,
          seed,
          meters: flags.meters ? Number(flags.meters) : undefined,
          days: flags.days ? Number(flags.days) : undefined,
          stream: flags["stream-seconds"]
            ? {ratePerSecond: Number(flags["stream-rate"] ?? 2000), seconds: Number(flags["stream-seconds"])}
            : undefined,
          shardMeters: flags["shard-meters"] ? Number(flags["shard-meters"]) : undefined
        };
    const scratchDir = join(outDir, ".work");
    const sink = folderSink({outDir, dataset: dataset.name});
    try {
      const units = await shardUnits({queue: flags.queue === true});
      const run = await runMetersTables({spec, scratchDir, sink, units, log, file: specFile});
      log(
        `meters: ${run.meters} meters × ${run.days} days × ${run.patterns.join(",")} → ${sink.tables.map((t) => `${t.name} ${t.rows}`).join(", ")}`
      );
    } finally {
      rmSync(scratchDir, {recursive: true, force: true});
    }
    return {tables: sink.tables};
  }
};

/**
 * Where `lab run meters` runs a fleet's shards: with `--queue`, on the `lab worker` processes of
 * the project's queue (LAB_QUEUE_URL or lab.config.ts `queue`, with its heartbeat and retry
 * settings); otherwise on this machine's threads, one a core.
 */
async function shardUnits({queue}: {queue: boolean}): Promise<UnitsSetting> {
  if (!queue)
    return {
      threads: Math.max(1, availableParallelism()),
      heartbeatMs: 1000,
      heartbeatTimeoutMs: 60_000,
      maxAttempts: 1
    };
  const projectDir = process.cwd();
  const config = await loadConfig({projectDir});
  const queueUrl = resolveQueueUrl({setting: config.queue, projectDir});
  if (!queueUrl)
    throw new LabError({
      column: "--queue",
      reason: "no queue: LAB_QUEUE_URL is unset and lab.config.ts names no queue",
      hint: "export LAB_QUEUE_URL=postgres://user:password@host/db and start `lab worker` on the hosts that share this folder"
    });
  return unitsSetting({config, queueUrl});
}
