import {existsSync} from "node:fs";
import {extname} from "node:path";
import type {Duck} from "../../core/duckdb.js";
import {LabError} from "../../core/errors.js";
import {quoteString} from "../../core/sql.js";

/** The three Crypto Lake tables a replay reads (any may be absent, depending on the strategy). */
export interface MarketInputs {
  trades?: string;
  book?: string;
  deltas?: string;
}

export const REQUIRED_COLUMNS = {
  trades: ["origin_time", "received_time", "trade_id", "side", "price", "quantity"],
  book: ["origin_time", "received_time", "sequence_number", "bid_0_price", "bid_0_size", "ask_0_price", "ask_0_size"],
  deltas: ["origin_time", "received_time", "update_id", "side", "price", "new_quantity"]
} as const;

/**
 * The names the Crypto Lake downloader's raw files use, for the lab's (those `lakeapi` gives after
 * loading): times as integer nanoseconds `timestamp` and `receipt_timestamp`, a trade's `id` and
 * `amount`, a delta's `sequence_number`, `side_is_bid` (boolean) and `size` (the level's new size).
 */
export const VENDOR_COLUMNS: Record<keyof MarketInputs, Record<string, string>> = {
  trades: {origin_time: "timestamp", received_time: "receipt_timestamp", trade_id: "id", quantity: "amount"},
  book: {origin_time: "timestamp", received_time: "receipt_timestamp"},
  deltas: {
    origin_time: "timestamp",
    received_time: "receipt_timestamp",
    update_id: "sequence_number",
    side: "side_is_bid",
    new_quantity: "size"
  }
};

/** Per input, the lab's column name → the file's (for files that name them otherwise). */
export type ColumnMapping = Partial<Record<keyof MarketInputs, Record<string, string>>>;

/**
 * Parses `deltas.update_id=seq,trades.quantity=qty` (or the same as JSON: {"deltas": {"update_id":
 * "seq"}}) into a mapping; an error names the entry that is not `<input>.<column>=<file column>`.
 */
export function parseColumnMapping(text: string, where = "--columns"): ColumnMapping {
  const mapping: ColumnMapping = {};
  const inputs = Object.keys(REQUIRED_COLUMNS) as (keyof MarketInputs)[];
  const put = (input: string, column: string, from: string) => {
    if (
      !inputs.includes(input as keyof MarketInputs) ||
      !(REQUIRED_COLUMNS as Record<string, readonly string[]>)[input]!.includes(column)
    )
      throw new LabError({
        column: where,
        reason: `"${input}.${column}" is not a column the replay reads`,
        hint: `one of ${inputs.map((i) => `${i}.{${REQUIRED_COLUMNS[i].filter((c) => !c.startsWith("bid_") && !c.startsWith("ask_")).join(",")}}`).join(" ")}`
      });
    (mapping[input as keyof MarketInputs] ??= {})[column] = from;
  };
  if (text.trim().startsWith("{")) {
    for (const [input, columns] of Object.entries(JSON.parse(text) as Record<string, Record<string, string>>))
      for (const [column, from] of Object.entries(columns)) put(input, column, String(from));
    return mapping;
  }
  for (const entry of text
    .split(",")
    .map((e) => e.trim())
    .filter(Boolean)) {
    const m = /^(\w+)\.(\w+)=(.+)$/.exec(entry);
    if (!m)
      throw new LabError({
        column: where,
        reason: `"${entry}" is not <input>.<column>=<file column>`,
        hint: "e.g. deltas.update_id=seq"
      });
    put(m[1]!, m[2]!, m[3]!);
  }
  return mapping;
}

/**
 * What to select from a file so that it has the lab's columns: `* REPLACE (…)` and added columns
 * for those it names otherwise (the mapping first, then the vendor's names), times given as
 * integer nanoseconds made TIMESTAMP_NS, a boolean side made 'bid'/'ask'. Undefined when the file
 * already has them all as they are; `missing` lists those found under no name.
 */
export function canonicalSelect({
  name,
  types,
  mapping
}: {
  name: keyof MarketInputs;
  types: Map<string, string>;
  mapping?: ColumnMapping;
}): {select: string | undefined; missing: string[]} {
  const replace: string[] = [],
    add: string[] = [],
    missing: string[] = [];
  for (const column of REQUIRED_COLUMNS[name]) {
    const mapped = mapping?.[name]?.[column];
    const vendor = VENDOR_COLUMNS[name][column];
    const from =
      mapped ?? (types.has(column) ? column : vendor !== undefined && types.has(vendor) ? vendor : undefined);
    if (from === undefined || !types.has(from)) {
      missing.push(mapped ? `${column} (mapped to ${mapped}, which the file lacks)` : column);
      continue;
    }
    const type = types.get(from)!;
    const q = quoteIdent(from);
    let expr = q;
    if (/_time$/.test(column) && /^(BIGINT|HUGEINT|UBIGINT|INTEGER)$/.test(type))
      expr = `make_timestamp_ns(${q}::BIGINT)`;
    else if (column === "side" && type === "BOOLEAN")
      expr =
        name === "deltas"
          ? `(CASE ${q} WHEN true THEN 'bid' WHEN false THEN 'ask' END)`
          : `(CASE ${q} WHEN true THEN 'buy' WHEN false THEN 'sell' END)`;
    if (expr === quoteIdent(column)) continue;
    (types.has(column) ? replace : add).push(`${expr} AS ${quoteIdent(column)}`);
  }
  if (!replace.length && !add.length) return {select: undefined, missing};
  return {select: [`*${replace.length ? ` REPLACE (${replace.join(", ")})` : ""}`, ...add].join(", "), missing};
}

const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** SQL reading one input file with its row number (Parquet or CSV, by extension), under `select` when given. */
export function sourceSql(path: string, select?: string): string {
  const raw = isParquet(path)
    ? `read_parquet(${quoteString(path)}, file_row_number = true)`
    : `(SELECT *, (row_number() OVER ()) - 1 AS file_row_number FROM ${csvScanSql(path, 0)})`;
  return select ? `(SELECT ${select} FROM ${raw})` : raw;
}

/**
 * Creates one view per given input (`trades`, `book`, `deltas`) after checking that the file
 * exists and has the Crypto Lake columns (under the lab's names, the vendor's raw ones, or those
 * `mapping` gives); an error names the file and what is missing. Returns each input's select
 * list (see `canonicalSelect`) for readers that query the file itself.
 */
export async function registerInputs({
  duck,
  inputs,
  mapping
}: {
  duck: Duck;
  inputs: MarketInputs;
  mapping?: ColumnMapping;
}): Promise<Partial<Record<keyof MarketInputs, string>>> {
  const selects: Partial<Record<keyof MarketInputs, string>> = {};
  for (const [name, path] of Object.entries(inputs) as [keyof MarketInputs, string | undefined][]) {
    if (!path) continue;
    if (!existsSync(path)) throw new LabError({file: path, reason: `the ${name} input does not exist`});
    const types = new Map(
      (await duck.all<{column_name: string; column_type: string}>(`DESCRIBE SELECT * FROM ${sourceSql(path)}`)).map(
        (c) => [c.column_name, c.column_type]
      )
    );
    const {select, missing} = canonicalSelect({name, types, mapping});
    if (missing.length)
      throw new LabError({
        file: path,
        reason: `missing column(s) ${missing.join(", ")} for the ${name} table`,
        hint: `a Crypto Lake ${name === "deltas" ? "book_delta_v2" : name} file has ${REQUIRED_COLUMNS[name].join(", ")}${name === "book" ? " … bid_19_size, ask_0_price … ask_19_size" : ""} (or the downloader's raw names ${Object.values(VENDOR_COLUMNS[name]).join(", ")}); map others with --columns ${name}.<column>=<file column>`
      });
    await duck.run(`CREATE OR REPLACE VIEW ${name} AS SELECT * FROM ${sourceSql(path, select)}`);
    if (select) selects[name] = select;
  }
  return selects;
}

/** Levels present in the `book` view (bid_0 … bid_N-1). */
export async function bookLevels({duck}: {duck: Duck}): Promise<number> {
  const columns = new Set((await duck.all<{column_name: string}>("DESCRIBE book")).map((c) => c.column_name));
  let n = 0;
  while (columns.has(`bid_${n}_price`) && columns.has(`ask_${n}_price`)) n++;
  return n;
}

/**
 * The tick and lot sizes: the smallest power of ten that makes every sampled price (quantity)
 * an integer multiple. Prices are compared as integer ticks from then on.
 */
export async function inferIncrements({
  duck,
  inputs
}: {
  duck: Duck;
  inputs: MarketInputs;
}): Promise<{tickSize: number; lotSize: number; priceScale: number; quantityScale: number}> {
  const samples: {prices: string[]; quantities: string[]} = {prices: [], quantities: []};
  if (inputs.deltas)
    (samples.prices.push("SELECT price AS x FROM deltas"),
      samples.quantities.push("SELECT new_quantity AS x FROM deltas"));
  if (inputs.trades)
    (samples.prices.push("SELECT price AS x FROM trades"), samples.quantities.push("SELECT quantity AS x FROM trades"));
  if (inputs.book)
    (samples.prices.push("SELECT bid_0_price AS x FROM book"),
      samples.quantities.push("SELECT bid_0_size AS x FROM book"));
  const scale = async (parts: string[]) => {
    const rows = await duck.all<{
      k: number;
    }>(`WITH s AS (SELECT x::DOUBLE AS x FROM (${parts.join(" UNION ALL ")}) WHERE x IS NOT NULL AND NOT isnan(x::DOUBLE) LIMIT 200000)
      SELECT min(k)::INT AS k FROM range(0, 13) r(k) WHERE (SELECT bool_and(abs(x * pow(10, k) - round(x * pow(10, k))) < 1e-6 * greatest(1, abs(x * pow(10, k)) * 1e-9)) FROM s)`);
    return rows[0]?.k ?? 8;
  };
  const priceScale = await scale(samples.prices);
  const quantityScale = await scale(samples.quantities);
  return {tickSize: Number(`1e-${priceScale}`), lotSize: Number(`1e-${quantityScale}`), priceScale, quantityScale};
}

/**
 * Decimal places that hold multiples of `increment` exactly: 2 for 0.01, 1 for 0.5, 2 for 0.25
 * and 0.05, 0 for 5 (Parquet keeps prices as decimals of this scale). Up to 18.
 */
export function decimalsOf(increment: number): number {
  for (let k = 0; k < 18; k++) {
    const x = increment * 10 ** k;
    if (Math.abs(x - Math.round(x)) < 1e-9 * Math.max(1, x)) return k;
  }
  return 18;
}

/** Rows with a missing or NaN price or size, per input, as errors naming file and row. */
export async function invalidNumbers({
  duck,
  inputs,
  levels
}: {
  duck: Duck;
  inputs: MarketInputs;
  levels: number;
}): Promise<string[]> {
  const bad = (c: string) => `(${c} IS NULL OR isnan(${c}::DOUBLE) OR ${c}::DOUBLE < 0)`;
  const problems: string[] = [];
  const check = async (name: keyof MarketInputs, condition: string, what: string) => {
    if (!inputs[name]) return;
    const rows = await duck.all<{r: bigint; n: bigint}>(
      `SELECT min(file_row_number) AS r, count(*) AS n FROM ${name} WHERE ${condition}`
    );
    const n = Number(rows[0]?.n ?? 0);
    if (n)
      problems.push(
        `${inputs[name]}:${Number(rows[0]!.r) + 2}: ${what} (${n} row(s); the first at this line, counting the header as line 1)`
      );
  };
  await check(
    "deltas",
    `${bad("price")} OR ${bad("new_quantity")} OR side NOT IN ('bid', 'ask')`,
    "a delta with a missing, NaN or negative price or quantity, or a side other than bid/ask"
  );
  await check(
    "trades",
    `${bad("price")} OR ${bad("quantity")} OR side NOT IN ('buy', 'sell')`,
    "a trade with a missing, NaN or negative price or quantity, or a side other than buy/sell"
  );
  if (levels)
    await check(
      "book",
      `isnan(bid_0_price::DOUBLE) OR isnan(ask_0_price::DOUBLE)${Array.from({length: levels}, (_, i) => ` OR isnan(bid_${i}_size::DOUBLE) OR isnan(ask_${i}_size::DOUBLE)`).join("")}`,
      "a snapshot with a NaN price or size"
    );
  return problems;
}

/** Whether an input is read as Parquet (anything but .csv / .csv.gz). */
export function isParquet(path: string): boolean {
  const ext = extname(path).toLowerCase();
  return ext !== ".csv" && ext !== ".gz";
}

/**
 * SQL reading a CSV input in file order from row `fromRow` on, with no row numbers computed
 * (they would need a window over the whole file): what the window reader streams for CSV.
 */
export function csvScanSql(path: string, fromRow: number): string {
  return `read_csv(${quoteString(path)}, header = true, auto_detect = true)${fromRow ? ` OFFSET ${fromRow}` : ""}`;
}
