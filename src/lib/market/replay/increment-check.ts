import type {Duck} from "../../core/duckdb.js";
import {LabError} from "../../core/errors.js";
import {isParquet, type MarketInputs} from "../history/inputs.js";

/**
 * Checks a given tick (lot) size against every price (quantity) of the registered input views:
 * the replay holds prices as integer ticks, so a price off the grid would be rounded to a
 * neighbouring level and the book would go wrong at nearly every event (flagged as gaps, not
 * reported). Fails naming the file, the line (CSV, header = line 1) or row (Parquet, 1-based)
 * and the first offending value. Only an increment the user gave is checked: inferred ones are
 * the data's own.
 */
export async function checkIncrements({
  duck,
  inputs,
  levels,
  tickSize,
  lotSize
}: {
  duck: Duck;
  inputs: MarketInputs;
  /** Book levels per side in the `book` view. */
  levels: number;
  tickSize?: number;
  lotSize?: number;
}): Promise<void> {
  const checks: {name: keyof MarketInputs; columns: string[]; increment: number; flag: string; what: string}[] = [];
  const bookColumns = (kind: "price" | "size") =>
    ["bid", "ask"].flatMap((side) => Array.from({length: levels}, (_, i) => `${side}_${i}_${kind}`));
  if (tickSize !== undefined)
    checks.push(
      {name: "deltas", columns: ["price"], increment: tickSize, flag: "--tick-size", what: "price"},
      {name: "trades", columns: ["price"], increment: tickSize, flag: "--tick-size", what: "price"},
      {name: "book", columns: bookColumns("price"), increment: tickSize, flag: "--tick-size", what: "price"}
    );
  if (lotSize !== undefined)
    checks.push(
      {name: "deltas", columns: ["new_quantity"], increment: lotSize, flag: "--lot-size", what: "quantity"},
      {name: "trades", columns: ["quantity"], increment: lotSize, flag: "--lot-size", what: "quantity"},
      {name: "book", columns: bookColumns("size"), increment: lotSize, flag: "--lot-size", what: "size"}
    );
  for (const c of checks) {
    const file = inputs[c.name];
    if (!file) continue;
    // Off the grid: further from a whole number of increments than rounding in a double explains.
    const off = (x: string) =>
      `(${x} IS NOT NULL AND NOT isnan(${x}::DOUBLE) AND abs(${x}::DOUBLE / ${c.increment} - round(${x}::DOUBLE / ${c.increment})) > 1e-6)`;
    const rows = await duck.all<{r: bigint; col: string; v: string}>(
      `SELECT file_row_number AS r, col, v FROM (
         SELECT file_row_number, unnest([${c.columns.map((x) => `'${x}'`).join(", ")}]) AS col,
                unnest([${c.columns.map((x) => `CASE WHEN ${off(x)} THEN ${x}::VARCHAR END`).join(", ")}]) AS v
         FROM ${c.name} WHERE ${c.columns.map(off).join(" OR ")})
       WHERE v IS NOT NULL ORDER BY file_row_number LIMIT 1`
    );
    const first = rows[0];
    if (!first) continue;
    const r = Number(first.r);
    const csv = !isParquet(file);
    throw new LabError({
      file,
      ...(csv ? {line: r + 2} : {}),
      column: first.col,
      reason: `${csv ? "" : `row ${r + 1}: `}${c.what} ${first.v} is not a multiple of ${c.flag} ${c.increment}; nothing was replayed`,
      hint: `give the instrument's real ${c.what === "price" ? "tick" : "lot"} size (or leave ${c.flag} out: it is inferred from the data)`
    });
  }
}
