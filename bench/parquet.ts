import {mkdtempSync, rmSync, statSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {parquetRowCount, readParquet} from "../src/lib/core/parquet-read.js";
import {writeParquet} from "../src/lib/core/parquet-write.js";
import {createRng} from "../src/lib/core/random.js";
import type {Benchmark} from "./benchmark.js";

/** Streaming Parquet write and read throughput of the engine core (DuckDB, ZSTD). */
export const parquetBenchmark: Benchmark = {
  name: "parquet",
  summary: "engine core: streamed Parquet write and read throughput (rows/s)",
  async run({log, flags}) {
    const rows = Number(flags.rows ?? 2_000_000);
    const dir = mkdtempSync(join(tmpdir(), "bench-parquet-"));
    try {
      const path = join(dir, "t.parquet");
      const rng = createRng(1);
      async function* batches() {
        for (let i = 0; i < rows; i += 10_000) {
          const batch = [];
          for (let j = i; j < Math.min(rows, i + 10_000); j++)
            batch.push({
              id: j,
              ts: new Date(1.7e12 + j * 1000),
              value: rng.normal(),
              tag: j % 7 === 0 ? "seven" : "other"
            });
          yield batch;
        }
      }
      let t = performance.now();
      await writeParquet({
        path,
        columns: [
          {name: "id", type: "BIGINT"},
          {name: "ts", type: "TIMESTAMP"},
          {name: "value", type: "DOUBLE"},
          {name: "tag", type: "VARCHAR"}
        ],
        rows: batches()
      });
      const writeSeconds = (performance.now() - t) / 1000;
      const bytes = statSync(path).size;
      log(
        `write: ${rows.toLocaleString()} rows in ${writeSeconds.toFixed(2)}s = ${Math.round(rows / writeSeconds).toLocaleString()} rows/s, ${(bytes / 2 ** 20).toFixed(1)} MiB`
      );
      t = performance.now();
      let read = 0;
      for await (const batch of readParquet({path})) read += batch.length;
      const readSeconds = (performance.now() - t) / 1000;
      log(
        `read:  ${read.toLocaleString()} rows in ${readSeconds.toFixed(2)}s = ${Math.round(read / readSeconds).toLocaleString()} rows/s`
      );
      if (read !== rows || (await parquetRowCount({path})) !== rows)
        throw new Error(`row count mismatch: wrote ${rows}, read ${read}`);
      return {
        rows,
        write_rows_per_s: Math.round(rows / writeSeconds),
        read_rows_per_s: Math.round(read / readSeconds),
        file_mib: +(bytes / 2 ** 20).toFixed(2)
      };
    } finally {
      rmSync(dir, {recursive: true, force: true});
    }
  }
};
