import {mkdirSync} from "node:fs";
import {resolve} from "node:path";
import {commandLineDataset, readDatasetFolder} from "../../src/lib/core/dataset.js";
import {isLabError} from "../../src/lib/core/errors.js";
import type {FlagSpec} from "../../src/lib/core/flags.js";
import type {PipelineRunResult} from "../../src/lib/core/pipeline.js";
import {withStagedFolder} from "../../src/lib/core/staged-folder.js";
import {domains} from "../../src/lib/registry.js";
import {UsageError, flag, numberFlag, stringFlag, type Verb} from "../verb.js";

const RUN_FLAGS: FlagSpec[] = [flag.string("out"), flag.integer("seed"), flag.string("dataset")];

function findDomain(name: string | undefined) {
  const domain = domains.find((d) => d.name === name);
  if (!domain)
    throw new UsageError(`unknown pipeline "${name ?? ""}"; one of: ${domains.map((d) => d.name).join(", ")}`);
  return domain;
}

export const runVerb: Verb = {
  name: "run",
  summary: "run one pipeline on given files outside the site, writing its tables as Parquet",
  help: `usage: lab run PIPELINE [FILE …] --out DIR [--seed N] [pipeline flags]
       lab run PIPELINE --dataset FOLDER --out DIR [pipeline flags]

Runs one pipeline end to end and writes each of its tables as DIR/<table>.parquet: the same
tables, with the same columns, as the catalog publishes from the same input (a *.sim.json spec
given as FILE runs exactly what \`lab ingest\` runs for it). Without files, simulating pipelines
use their bundled defaults.

The run writes into a staging folder beside DIR, which replaces DIR whole only when the run
succeeds: a failed run leaves the previous outputs as they were. DIR must be new, empty or a
folder an earlier \`lab run\` wrote. Two modes differ: a market replay from history files stages
in DIR.partial/, kept when the run fails or is killed so that --resume continues from it; and
\`effluent --follow\` writes into DIR as it goes, to be watched live.

pipelines:
${domains.map((d) => `  ${d.name.padEnd(10)} ${d.summary}\n  ${"".padEnd(10)} ${d.pipeline.usage}\n  ${"".padEnd(10)} tables: ${d.tables.map((t) => t.name).join(", ")}`).join("\n")}

options:
  --out DIR    folder for the Parquet tables (required; created if missing, replaced on success)
  --seed N     seed for every random choice (default 1)
  --dataset FOLDER
               run a dataset folder as the site would: every file under it, with the options
               of its dataset.json; tables carry the folder's name in their \`dataset\` column
               (files given one by one form the dataset "default", with no options)

Flags a pipeline does not take are refused; counts and durations must be above zero.

example: npm run lab -- run demo --steps 1000 --out /tmp/demo`,
  flags: (positionals) => [...RUN_FLAGS, ...findDomain(positionals[0]).pipeline.flags],
  async run(args) {
    const [name, ...files] = args.positionals;
    const domain = findDomain(name);
    const out = stringFlag(args, "out");
    if (!out) throw new UsageError("--out DIR is required");
    const outDir = resolve(out);
    const {out: _out, seed: _seed, dataset: datasetDir, ...flags} = args.flags;
    if (typeof datasetDir === "string" && files.length)
      throw new UsageError("give either --dataset FOLDER or files, not both");
    const fromFolder =
      typeof datasetDir === "string" ? readDatasetFolder({dir: datasetDir, pipeline: domain.name}) : undefined;
    const dataset = fromFolder?.dataset ?? commandLineDataset(domain.name);
    const inputs = fromFolder?.files ?? files.map((f) => resolve(f));
    // Long-running modes (following a live export) stop on Ctrl-C; the pipeline only sees the signal.
    const controller = new AbortController();
    const stop = () => controller.abort();
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
    const started = performance.now();
    const runInto = (dir: string) =>
      domain.pipeline.run({
        files: inputs,
        dataset,
        outDir: dir,
        seed: numberFlag(args, "seed", 1)!,
        flags,
        log: (line) => console.log(line),
        signal: controller.signal
      });
    try {
      const mode = domain.pipeline.outputMode?.({flags, files: inputs}) ?? {kind: "replace"};
      let result: PipelineRunResult;
      if (mode.kind === "in-place") {
        mkdirSync(outDir, {recursive: true});
        result = await runInto(outDir);
      } else {
        const stageDir = mode.kind === "resumable" ? `${outDir}.partial` : undefined;
        let staged = "";
        result = await withStagedFolder({
          outDir,
          stageDir,
          resume: mode.kind === "resumable" && mode.resume,
          carry: mode.kind === "replace" ? mode.carry : [],
          label: `lab run ${domain.name}`,
          // Bad input leaves nothing to resume; anything else (a crash, Ctrl-C) keeps the checkpoint,
          // and a resumed run keeps what it was asked to continue whatever stopped it (a refused
          // checkpoint above all: its error says so).
          keepOnFailure: (error) =>
            (mode.kind === "resumable" && mode.resume) ||
            !isLabError(error) ||
            (error as {keepsPartialOutput?: boolean}).keepsPartialOutput === true,
          write: (dir) => ((staged = dir), runInto(dir))
        });
        // The tables now live in outDir, not where they were written.
        result.tables = result.tables.map((t) => ({...t, path: t.path.replace(staged, outDir)}));
      }
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
