import {openDuckDB} from "../../src/lib/core/duckdb.js";
import {quoteIdent, quoteString} from "../../src/lib/core/sql.js";

/**
 * A Parquet table's rows as a count and an md5 over its rows sorted, with doubles to 6 decimal
 * places: the gold tables' sums run in parallel in DuckDB, so their last bits vary from one run
 * to the next (the same run twice differs there). Readings are whole watt-hours, so a sum or an
 * average can sit exactly on a rounding boundary (34375.563 / 48 = 716.1575625), where those last
 * bits would decide: a nanounit added first moves every such value off it.
 */
export async function tableDigests(
  paths: Record<string, string>
): Promise<Record<string, {rows: number; md5: string}>> {
  const duck = await openDuckDB();
  try {
    const out: Record<string, {rows: number; md5: string}> = {};
    for (const [name, path] of Object.entries(paths)) {
      const from = `read_parquet(${quoteString(path)})`;
      const columns = await duck.all<{column_name: string; column_type: string}>(`DESCRIBE SELECT * FROM ${from}`);
      const values = columns.map((c) =>
        /^(DOUBLE|FLOAT)$/.test(c.column_type)
          ? `printf('%.6f', ${quoteIdent(c.column_name)} + 1e-9)`
          : `CAST(${quoteIdent(c.column_name)} AS VARCHAR)`
      );
      const row = `concat_ws('|', ${values.map((v) => `coalesce(${v}, '∅')`).join(", ")})`;
      out[name] = await duck.one<{rows: number; md5: string}>(
        `SELECT count(*)::INT AS rows, md5(string_agg(r, '\n' ORDER BY r)) AS md5 FROM (SELECT ${row} AS r FROM ${from})`
      );
    }
    return out;
  } finally {
    duck.close();
  }
}
