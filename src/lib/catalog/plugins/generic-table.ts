import {basename, extname} from "node:path";
import {checkCsv} from "../../core/csv.js";
import {LabError} from "../../core/errors.js";
import {quoteString} from "../../core/sql.js";
import type {CatalogFile, Plugin} from "../plugin.js";

/** `datasets/sales/jan.csv` → `raw_sales`; `datasets/orders.csv` → `raw_orders`. */
export function rawTopicFor(relPath: string): string {
  const parts = relPath.split("/");
  const name = parts.length > 1 ? parts[0]! : basename(relPath, extname(relPath));
  const slug =
    name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "_")
      .replace(/^_+|_+$/g, "") || "table";
  return `raw_${/^[a-z]/.test(slug) ? slug : `t_${slug}`}`;
}

/** Turns DuckDB's reader errors into a LabError naming the file, the line and the reason. */
export function readerError({error, file}: {error: unknown; file: CatalogFile}): LabError {
  const text = error instanceof Error ? error.message : String(error);
  const line = /(?:Line|line):?\s*(\d+)/.exec(text)?.[1];
  // DuckDB's message: "<Kind> Error: <what>", then context lines (the CSV's original line, possible
  // fixes, the SQL with a caret) that say nothing to someone who dropped a file.
  const lines = text
    .split("\n")
    .map((l) => l.trim().replace(/^[A-Za-z ]+Error: /, ""))
    .filter((l) => l && !/^(Original Line|Possible fixes|\*|LINE \d+:|\^|CSV Error on Line)/i.test(l))
    .map((l) => l.replaceAll(file.path, file.relPath));
  const reason = /Invalid unicode|byte sequence/i.test(text)
    ? "not valid UTF-8 text (wrong encoding or binary data)"
    : /Expected Number of Columns: (\d+) Found: (\d+)/i.test(text)
      ? `ragged row: expected ${RegExp.$1} fields, found ${RegExp.$2}`
      : (lines[0] ?? "unreadable");
  return new LabError({file: file.relPath, line: line ? Number(line) : undefined, reason});
}

/** This module, for worker threads that import the plugin by module and export name. */
export const genericTableModule = import.meta.url;

/**
 * The generic table plugin: any CSV or JSON Lines file becomes rows of a `raw_*` topic, with the
 * schema inferred by DuckDB. Reading is strict: a ragged row, bad encoding or binary junk fails
 * the job with the file, line and reason, and publishes nothing.
 */
export const genericTablePlugin: Plugin = {
  name: "generic-table",
  tags: ["csv", "jsonl"],
  topics: ["raw_*"],
  version: 1,
  // Its topic is the only thing it takes from the path: copies within one topic are read once.
  routeKey: ({relPath}) => rawTopicFor(relPath),
  async execute(ctx, file) {
    const path = quoteString(file.path);
    // DuckDB's own errors may not name a line (a ragged row fails the dialect sniffer), so the
    // file is checked first by a strict reader that does.
    if (file.tag === "csv") await checkCsv({path: file.path, file: file.relPath});
    const source =
      file.tag === "jsonl"
        ? `read_json(${path}, format = 'newline_delimited')`
        : `read_csv(${path}, header = true, delim = ',', quote = '"', escape = '"', sample_size = -1)`;
    try {
      const rows = await ctx.publishQuery(rawTopicFor(file.relPath), `SELECT * FROM ${source}`);
      ctx.log(`${file.relPath}: ${rows} rows`);
    } catch (error) {
      throw readerError({error, file});
    }
  }
};
