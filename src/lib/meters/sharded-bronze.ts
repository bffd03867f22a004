/**
 * Bronze from a fleet's shards: one shard is written in place; several run as units (local
 * threads or the PostgreSQL queue when `units` says so, else here one after another), and their
 * parts are put together in shard order as one `readings_bronze` file, only once every shard has
 * succeeded — the table appears whole or not at all.
 */
import {mkdirSync, renameSync, rmSync} from "node:fs";
import {runUnits} from "../catalog/run-units.js";
import {unitDir, type UnitResult, type UnitsSetting, type UnitTask} from "../catalog/units.js";
import type {Duck} from "../core/duckdb.js";
import {copyQueryToParquet} from "../core/parquet-write.js";
import {quoteList} from "../core/sql.js";
import {meterShardUnit, type MeterShardInput, type MeterShardOutput} from "./fleet-shards.js";

export async function shardedBronze({
  duck,
  bronzePath,
  tasks,
  workDir,
  units,
  log
}: {
  duck: Duck;
  bronzePath: string;
  tasks: UnitTask[];
  /** Each shard's folder goes under it (reachable by every worker, with a queue). */
  workDir: string;
  units?: UnitsSetting;
  log: (line: string) => void;
}): Promise<number> {
  rmSync(workDir, {recursive: true, force: true});
  try {
    let results: UnitResult<MeterShardOutput>[];
    if (units && (tasks.length > 1 || units.queue)) {
      log(`meters: ${tasks.length} shard(s) ${units.queue ? "through the queue" : "on local threads"}`);
      results = await runUnits<MeterShardOutput>({tasks, workDir, setting: units, log});
    } else {
      results = [];
      for (const t of tasks) {
        const outDir = unitDir({workDir, id: t.id, attempt: 1});
        mkdirSync(outDir, {recursive: true});
        const output = await meterShardUnit.run(t.input as MeterShardInput, {outDir, log});
        results.push({id: t.id, output, outDir, attempt: 1, workerId: "here"});
      }
    }
    if (results.length === 1) {
      renameSync(results[0]!.output.bronzePath, bronzePath);
      return results[0]!.output.rows;
    }
    return await copyQueryToParquet({
      duck,
      path: bronzePath,
      // One scan of the parts in shard order (a scan keeps its files' order; a UNION need not).
      sql: `SELECT * FROM read_parquet(${quoteList(results.map((r) => r.output.bronzePath))})`
    });
  } finally {
    rmSync(workDir, {recursive: true, force: true});
  }
}
