/**
 * `npm run bench -- NAME [--json]`: runs one benchmark, prints readable lines, and with `--json`
 * ends with one line holding a JSON object of its figures. `npm run bench -- --list` lists them.
 */
import {parseArgs} from "../cli/verb.js";
import type {Benchmark} from "./benchmark.js";
import {captureBenchmark} from "./capture.js";
import {catalogBenchmark} from "./catalog.js";
import {effluentBenchmark} from "./effluent.js";
import {kpiBenchmark} from "./kpi.js";
import {marketBenchmark} from "./market.js";
import {metersBenchmark} from "./meters.js";
import {parquetBenchmark} from "./parquet.js";

const benchmarks: Benchmark[] = [
  captureBenchmark,
  catalogBenchmark,
  effluentBenchmark,
  kpiBenchmark,
  marketBenchmark,
  metersBenchmark,
  parquetBenchmark
];

const args = parseArgs(process.argv.slice(2));
const [name] = args.positionals;
const benchmark = benchmarks.find((b) => b.name === name);
if (!benchmark || args.flags.list || args.flags.help) {
  if (name && !benchmark) console.error(`bench: unknown benchmark "${name}"`);
  console.log(
    `usage: npm run bench -- NAME [--json]\n\nbenchmarks:\n${benchmarks.map((b) => `  ${b.name.padEnd(10)} ${b.summary}`).join("\n")}`
  );
  process.exitCode = benchmark || args.flags.list || args.flags.help ? 0 : 2;
} else {
  const started = performance.now();
  const {json, ...flags} = args.flags;
  const figures = await benchmark.run({log: (line) => console.log(line), flags});
  console.log(`${benchmark.name}: done in ${((performance.now() - started) / 1000).toFixed(1)}s`);
  if (json) console.log(JSON.stringify({benchmark: benchmark.name, ...figures}));
}
