import {readFileSync} from "node:fs";
import {join} from "node:path";
import {LabError} from "../core/errors.js";
import {quoteList} from "../core/sql.js";
import type {Plugin} from "../catalog/plugin.js";
import {emissionPatterns, presets, type EmissionPattern} from "./config.js";
import {startAmiFeed} from "./feed-server.js";
import {landAmi} from "./land.js";
import {runMeters} from "./pipeline.js";

const TABLES = [
  "fleet",
  "readings_bronze",
  "readings",
  "reading_issues",
  "reading_gaps",
  "meter_hourly",
  "meter_daily",
  "segment_daily",
  "transformer_daily"
];
const STREAM_TABLE = "stream_latency";

/**
 * Runs a `*.sim.json` AMI fleet spec: the same fleet (same seed) once per emission pattern, so
 * pages can compare data quality across patterns; every table carries `emission_pattern` where
 * it has readings, and the fleet is published once.
 */
export const metersSimulationPlugin: Plugin = {
  name: "meters-simulation",
  tags: ["sim:ami-fleet"],
  topics: [...TABLES, STREAM_TABLE],
  version: 1,
  async execute(ctx, file) {
    const spec = JSON.parse(readFileSync(file.path, "utf-8")) as {
      preset?: string;
      patterns?: string[];
      profile?: string;
      seed?: number;
      meters?: number;
      days?: number;
      stream?: {ratePerSecond: number; seconds: number};
    };
    const preset = presets[spec.preset ?? "quick-demo"];
    if (!preset)
      throw new LabError({
        file: file.relPath,
        column: "preset",
        reason: `unknown preset "${spec.preset}"; one of ${Object.keys(presets).join(", ")}`
      });
    const patterns = (spec.patterns ?? ["STAGGERED"]) as EmissionPattern[];
    for (const p of patterns)
      if (!(p in emissionPatterns))
        throw new LabError({file: file.relPath, column: "patterns", reason: `unknown emission pattern "${p}"`});
    const dirs: string[] = [];
    for (const pattern of patterns) {
      const outDir = join(ctx.scratchDir, pattern);
      await runMeters({
        outDir,
        seed: spec.seed ?? 1,
        meters: spec.meters ?? preset.meters,
        days: spec.days ?? preset.days,
        pattern,
        profile: spec.profile,
        log: ctx.log
      });
      dirs.push(outDir);
    }
    await ctx.publishQuery("fleet", `SELECT * FROM read_parquet(${quoteList([join(dirs[0]!, "fleet.parquet")])})`);
    for (const table of TABLES.slice(1)) {
      const tagged = dirs.map(
        (dir, i) =>
          `SELECT *, '${patterns[i]}' AS run_pattern FROM read_parquet(${quoteList([join(dir, `${table}.parquet`)])})`
      );
      await ctx.publishQuery(table, tagged.join(" UNION ALL BY NAME "));
    }
    if (spec.stream) {
      // A short run of the real stream on loopback: feed → lander, for the page's latency panel.
      const feed = await startAmiFeed({
        token: "build",
        ratePerSecond: spec.stream.ratePerSecond,
        meters: spec.meters ?? preset.meters,
        days: 1,
        pattern: "UNIFORM",
        seed: spec.seed ?? 1,
        batchSize: Math.max(10, Math.round(spec.stream.ratePerSecond / 50))
      });
      const controller = new AbortController();
      setTimeout(() => controller.abort(), spec.stream.seconds * 1000);
      const commits: {commit: number; from: number; to: number; latency_ms: number}[] = [];
      await landAmi({
        url: feed.url,
        token: "build",
        outDir: join(ctx.scratchDir, "stream"),
        commitMs: 200,
        signal: controller.signal,
        onCommit: ({from, to, latenciesMs}) =>
          latenciesMs.forEach((latency_ms) => commits.push({commit: commits.length, from, to, latency_ms}))
      });
      await feed.close();
      await ctx.publish(STREAM_TABLE, {
        columns: [
          {name: "commit", type: "INTEGER"},
          {name: "from_offset", type: "BIGINT"},
          {name: "to_offset", type: "BIGINT"},
          {name: "latency_ms", type: "DOUBLE"}
        ],
        rows: commits.map((c) => ({commit: c.commit, from_offset: c.from, to_offset: c.to, latency_ms: c.latency_ms}))
      });
    }
    ctx.log(
      `${file.relPath}: ${patterns.length} pattern(s) × ${spec.meters ?? preset.meters} meters × ${spec.days ?? preset.days} days`
    );
  }
};
