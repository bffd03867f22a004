import {mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import pg from "pg";
import {defaultConfig, type LabConfig} from "../src/lib/catalog/config.js";
import {ingest} from "../src/lib/catalog/ingest.js";
import {labPaths} from "../src/lib/catalog/paths.js";
import {LabError} from "../src/lib/core/errors.js";
import {catalogBuiltins} from "../src/lib/registry.js";
import type {Benchmark} from "./benchmark.js";

const repoDir = join(import.meta.dirname, "..");

function csv(file: number, rows: number): string {
  return `day,item,amount,price\n${Array.from({length: rows}, (_, k) => `2024-01-${String((k % 28) + 1).padStart(2, "0")},item${k % 97},${k},${(k * 0.37 + file).toFixed(2)}`).join("\n")}\n`;
}

/**
 * The PostgreSQL topic sink: seconds to mirror a topic of `files` × `rows` rows into a new table,
 * to bring it up to date after one file changed (incremental, by _job_id), and for a pass over an
 * unchanged view. The URL comes from LAB_PG_SINK_URL (a secret: never a flag); the bench uses a
 * schema of its own and drops it.
 */
export const pgSinkBenchmark: Benchmark = {
  name: "pg-sink",
  summary: "mirror a topic into PostgreSQL: create, update after one changed file, unchanged rerun",
  async run({log, flags}) {
    const url = process.env.LAB_PG_SINK_URL;
    if (!url)
      throw new LabError({
        reason: "the pg-sink bench needs PostgreSQL: LAB_PG_SINK_URL is unset",
        hint: "export LAB_PG_SINK_URL=$(bash tools/postgres-up.sh)"
      });
    const files = Number(flags.files ?? 10);
    const rows = Number(flags.rows ?? 50_000);
    const schema = `lab_sink_bench_${process.pid}`;
    const dir = mkdtempSync(join(tmpdir(), "bench-pg-sink-"));
    symlinkSync(join(repoDir, "node_modules"), join(dir, "node_modules"));
    writeFileSync(join(dir, "package.json"), '{"type": "module"}');
    mkdirSync(join(dir, "datasets", "sales"), {recursive: true});
    for (let i = 0; i < files; i++) writeFileSync(join(dir, "datasets", "sales", `f${i}.csv`), csv(i, rows));
    const config: LabConfig = {
      ...defaultConfig,
      stableWaitMs: 10,
      topicSinks: {raw_sales: {postgres: {urlEnv: "LAB_PG_SINK_URL", schema}}}
    };
    const pass = async () => {
      const summary = await ingest({
        paths: labPaths({projectDir: dir, labDir: ".lab"}),
        config,
        queueUrl: false,
        builtins: catalogBuiltins(),
        output: {write: () => {}, isTTY: false},
        log: () => {}
      });
      const sink = summary.sinks?.[0];
      if (!sink || sink.action === "failed") throw new Error(`the sink failed: ${sink?.error ?? "no result"}`);
      return sink;
    };
    try {
      const created = await pass();
      writeFileSync(join(dir, "datasets", "sales", "f0.csv"), csv(files, rows));
      const updated = await pass();
      const unchanged = await pass();
      log(
        `${files} files × ${rows} rows: create ${created.seconds.toFixed(2)} s (${created.rows} rows, ${Math.round(created.rows / created.seconds)} rows/s), one file changed ${updated.seconds.toFixed(2)} s (+${updated.added} −${updated.removed}), unchanged ${unchanged.seconds.toFixed(3)} s`
      );
      return {
        rows: created.rows,
        create_s: created.seconds,
        create_rows_per_s: Math.round(created.rows / created.seconds),
        update_one_file_s: updated.seconds,
        update_rows_added: updated.added,
        update_rows_removed: updated.removed,
        unchanged_s: unchanged.seconds
      };
    } finally {
      rmSync(dir, {recursive: true, force: true});
      const client = new pg.Client({connectionString: url});
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await client.end();
    }
  }
};
