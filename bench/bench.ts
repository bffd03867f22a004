/**
 * `npm run bench -- NAME [--json] [--no-record]`: runs one benchmark, prints readable lines, with
 * `--json` ends with one line holding a JSON object of its figures, and records the figures in
 * docs/benchmarks.md (unless `--no-record`). `npm run bench -- --list` lists them.
 */
import {join} from "node:path";
import {parseArgs} from "../cli/verb.js";
import type {Benchmark} from "./benchmark.js";
import {calibrateBenchmark} from "./calibrate.js";
import {captureBenchmark} from "./capture.js";
import {catalogBenchmark} from "./catalog.js";
import {effluentBenchmark} from "./effluent.js";
import {kpiBenchmark} from "./kpi.js";
import {marketBenchmark} from "./market.js";
import {metersBenchmark} from "./meters.js";
import {parquetBenchmark} from "./parquet.js";
import {pgSinkBenchmark} from "./pg-sink.js";
import {queueBenchmark} from "./queue.js";
import {describeRun, recordRun} from "./record.js";

const benchmarks: Benchmark[] = [
  calibrateBenchmark,
  captureBenchmark,
  catalogBenchmark,
  effluentBenchmark,
  kpiBenchmark,
  marketBenchmark,
  metersBenchmark,
  parquetBenchmark,
  pgSinkBenchmark,
  queueBenchmark
];

const args = parseArgs(process.argv.slice(2));
const [name] = args.positionals;
const benchmark = benchmarks.find((b) => b.name === name);
if (!benchmark || args.flags.list || args.flags.help) {
  if (name && !benchmark) console.error(`bench: unknown benchmark "${name}"`);
  console.log(
    `usage: npm run bench -- NAME [--json] [--no-record]\n\nbenchmarks:\n${benchmarks.map((b) => `  ${b.name.padEnd(10)} ${b.summary}`).join("\n")}`
  );
  process.exitCode = benchmark || args.flags.list || args.flags.help ? 0 : 2;
} else {
  const started = performance.now();
  const {json, "no-record": noRecord, ...flags} = args.flags;
  const figures = await benchmark.run({log: (line) => console.log(line), flags});
  const seconds = (performance.now() - started) / 1000;
  console.log(`${benchmark.name}: done in ${seconds.toFixed(1)}s`);
  if (!noRecord) {
    const path = join(import.meta.dirname, "..", "docs", "benchmarks.md");
    const run = {
      ...benchmark,
      targets: benchmark.targets ?? {},
      figures,
      seconds,
      flags,
      at: new Date(),
      ...describeRun()
    };
    await recordRun({path, run});
    console.log(`${benchmark.name}: figures recorded in docs/benchmarks.md`);
  }
  if (json) console.log(JSON.stringify({benchmark: benchmark.name, ...figures}));
}
