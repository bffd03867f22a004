import {mkdirSync} from "node:fs";
import {resolve} from "node:path";
import {pipelines} from "../../src/lib/pipelines.js";
import {UsageError, numberFlag, stringFlag, type Verb} from "../verb.js";

export const runVerb: Verb = {
  name: "run",
  summary: "run one pipeline on given files outside the site, writing its tables as Parquet",
  help: `usage: lab run PIPELINE [FILE …] --out DIR [--seed N] [pipeline flags]

Runs one pipeline end to end and writes each of its tables as DIR/<table>.parquet (names as in
DESIGN.md §3). Without files, simulating pipelines use their bundled defaults.

pipelines:
${pipelines.map((p) => `  ${p.name.padEnd(10)} ${p.summary}\n  ${"".padEnd(10)} ${p.usage}`).join("\n")}

options:
  --out DIR    folder for the Parquet tables (required; created if missing)
  --seed N     seed for every random choice (default 1)

example: npm run lab -- run demo --steps 1000 --out /tmp/demo`,
  async run(args) {
    const [name, ...files] = args.positionals;
    const pipeline = pipelines.find((p) => p.name === name);
    if (!pipeline)
      throw new UsageError(`unknown pipeline "${name ?? ""}"; one of: ${pipelines.map((p) => p.name).join(", ")}`);
    const out = stringFlag(args, "out");
    if (!out) throw new UsageError("--out DIR is required");
    const outDir = resolve(out);
    mkdirSync(outDir, {recursive: true});
    const {out: _out, seed: _seed, ...flags} = args.flags;
    const started = performance.now();
    const result = await pipeline.run({
      files: files.map((f) => resolve(f)),
      outDir,
      seed: numberFlag(args, "seed", 1)!,
      flags,
      log: (line) => console.log(line)
    });
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    console.log(
      `${pipeline.name}: ${result.tables.length} table(s), ${result.tables.reduce((n, t) => n + t.rows, 0)} rows in ${seconds}s → ${outDir}`
    );
  }
};
