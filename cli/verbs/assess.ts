import {mkdirSync} from "node:fs";
import {writeFile} from "node:fs/promises";
import {join, resolve} from "node:path";
import {writeFilesAtomically} from "../../src/lib/core/atomic-file.js";
import {assessFiles, assessmentMarkdown} from "../../src/lib/market/history/assess.js";
import type {MarketInputs} from "../../src/lib/market/history/inputs.js";
import {flag, stringFlag, UsageError, type Verb} from "../verb.js";

export const assessVerb: Verb = {
  name: "assess",
  summary: "check market history before a replay: gaps, timing, memory; recommends a strategy",
  help: `usage: lab assess --book FILE [--deltas FILE] [--trades FILE] [--out DIR]

Reads Crypto Lake-style market history (Parquet or CSV) and reports, per table, rows, time span
and origin_time quality (nulls, times after arrival, latency p50/p99/max, rows out of origin_time
order, ties); the delta table's completeness and sequence gaps (by size); the snapshots (count,
median interval, crossed share, levels); a memory estimate for the replay; and the recommended
replay strategy (full_event_replay, snapshot_anchored or origin_time_sort) with its reason.
The report is printed as Markdown.

options:
  --book FILE     top-N book snapshots (book) (required)
  --deltas FILE   book deltas (book_delta_v2); without it the replay anchors on snapshots
  --trades FILE   trades
  --out DIR       also write DIR/assessment.json and DIR/assessment.md (created if missing)

example: npm run lab -- assess --book data/book.parquet --deltas data/book_delta_v2.parquet --trades data/trades.parquet --out /tmp/assess`,
  flags: ["book", "deltas", "trades", "out"].map(flag.string),
  async run(args) {
    const inputs: MarketInputs = {};
    for (const name of ["trades", "book", "deltas"] as const) {
      const file = stringFlag(args, name);
      if (file) inputs[name] = resolve(file);
    }
    if (!inputs.book) throw new UsageError("--book FILE is required (the snapshots every strategy starts from)");
    if (args.positionals.length)
      throw new UsageError(
        `unexpected argument "${args.positionals[0]}"; inputs are given with --trades, --book and --deltas`
      );
    const out = stringFlag(args, "out");
    const assessment = await assessFiles({inputs});
    const markdown = assessmentMarkdown(assessment);
    console.log(markdown);
    if (out) {
      const outDir = resolve(out);
      mkdirSync(outDir, {recursive: true});
      // Both files or neither: a report is never half new.
      await writeFilesAtomically([
        {
          path: join(outDir, "assessment.json"),
          write: (temp) => writeFile(temp, `${JSON.stringify(assessment, null, 2)}\n`)
        },
        {
          path: join(outDir, "assessment.md"),
          write: (temp) => writeFile(temp, markdown.endsWith("\n") ? markdown : `${markdown}\n`)
        }
      ]);
    }
  }
};
