import {mkdirSync} from "node:fs";
import {resolve} from "node:path";
import {domains} from "../../src/lib/registry.js";
import {UsageError, numberFlag, stringFlag, type Verb} from "../verb.js";

export const runVerb: Verb = {
  name: "run",
  summary: "run one pipeline on given files outside the site, writing its tables as Parquet",
  help: `usage: lab run PIPELINE [FILE …] --out DIR [--seed N] [pipeline flags]

Runs one pipeline end to end and writes each of its tables as DIR/<table>.parquet: the same
tables, with the same columns, as the catalog publishes from the same input (a *.sim.json spec
given as FILE runs exactly what \`lab ingest\` runs for it). Without files, simulating pipelines
use their bundled defaults.

pipelines:
${domains.map((d) => `  ${d.name.padEnd(10)} ${d.summary}\n  ${"".padEnd(10)} ${d.pipeline.usage}\n  ${"".padEnd(10)} tables: ${d.tables.map((t) => t.name).join(", ")}`).join("\n")}

options:
  --out DIR    folder for the Parquet tables (required; created if missing)
  --seed N     seed for every random choice (default 1)

example: npm run lab -- run demo --steps 1000 --out /tmp/demo`,
  async run(args) {
    const [name, ...files] = args.positionals;
    const domain = domains.find((d) => d.name === name);
    if (!domain)
      throw new UsageError(`unknown pipeline "${name ?? ""}"; one of: ${domains.map((d) => d.name).join(", ")}`);
    const out = stringFlag(args, "out");
    if (!out) throw new UsageError("--out DIR is required");
    const outDir = resolve(out);
    mkdirSync(outDir, {recursive: true});
    const {out: _out, seed: _seed, ...flags} = args.flags;
    // Long-running modes (following a live export) stop on Ctrl-C; the pipeline only sees the signal.
    const controller = new AbortController();
    const stop = () => controller.abort();
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
    const started = performance.now();
    try {
      const result = await domain.pipeline.run({
        files: files.map((f) => resolve(f)),
        outDir,
        seed: numberFlag(args, "seed", 1)!,
        flags,
        log: (line) => console.log(line),
        signal: controller.signal
      });
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      console.log(
        `${domain.name}: ${result.tables.length} table(s), ${result.tables.reduce((n, t) => n + t.rows, 0)} rows in ${seconds}s → ${outDir}`
      );
    } finally {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
    }
  }
};
