/**
 * Child process of the meters benchmark: generates one day of N meters and writes it to Parquet
 * (the columnar path: parts written by writer threads),
 * then DuckDB writes the same number of rows of the same schema from range(); prints one JSON
 * line with both times and this process's peak RSS. Run alone so RSS belongs to one fleet size.
 */
import {mkdtempSync, rmSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {openDuckDB} from "../src/lib/core/duckdb.js";
import {createRng} from "../src/lib/core/random.js";
import {defaultMeterConfig, utilityProfiles} from "../src/lib/meters/config.js";
import {generateFleet} from "../src/lib/meters/fleet.js";
import {writeReadingsColumnar} from "../src/lib/meters/columnar-writer.js";

const meters = Number(process.argv[2] ?? 10_000);
const dir = mkdtempSync(join(tmpdir(), "bench-meters-"));
const start = new Date("2024-06-02T18:30:00Z");
try {
  const fleet = generateFleet({rng: createRng(1), meters, mix: utilityProfiles.default!});
  let t = performance.now();
  const written = await writeReadingsColumnar({
    rng: createRng(2),
    fleet,
    start,
    days: Number(process.env.BENCH_DAYS ?? 1),
    config: defaultMeterConfig,
    outDir: join(dir, "ours")
  });
  const ours = (performance.now() - t) / 1000;
  // Peak memory of our generation and write alone, before DuckDB's own run adds its own.
  const oursPeakRss = Math.round(process.resourceUsage().maxRSS / 1024);
  if (process.env.MEM_TRACE)
    console.error(
      JSON.stringify(
        Object.fromEntries(Object.entries(process.memoryUsage()).map(([k, v]) => [k, Math.round(v / 2 ** 20)]))
      )
    );
  const duck = await openDuckDB({tempDirectory: dir});
  t = performance.now();
  await duck.run(`COPY (SELECT 'MTR-PUN-' || lpad((i % ${meters} + 1)::VARCHAR, 6, '0') AS meter_id, TIMESTAMP '2024-06-02 18:30:00' + to_minutes((i // ${meters}) * 15) AS reading_ts,
                        random() * 3 AS usage_kwh, 118 + random() * 4 AS voltage, 0.9 + random() / 10 AS power_factor,
                        'RESIDENTIAL' AS customer_segment, 'UNIFORM' AS emission_pattern, false AS is_outage
                 FROM range(${written.rows}) t(i)) TO '${join(dir, "range.parquet")}' (FORMAT parquet, COMPRESSION zstd)`);
  const range = (performance.now() - t) / 1000;
  duck.close();
  console.log(
    JSON.stringify({meters, rows: written.rows, ours_s: ours, duckdb_range_s: range, peak_rss_mb: oursPeakRss})
  );
} finally {
  rmSync(dir, {recursive: true, force: true});
}
