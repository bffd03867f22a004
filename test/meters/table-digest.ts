import {openDuckDB} from "../../src/lib/core/duckdb.js";
import {quoteIdent, quoteString} from "../../src/lib/core/sql.js";

/**
 * A Parquet table's rows as a count and an md5 over its rows sorted, with doubles rounded to 9
 * significant digits: the gold tables' sums run in parallel in DuckDB, so their last bits vary
 * from one run to the next (the same run twice differs there).
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
          ? `CASE WHEN ${quoteIdent(c.column_name)} = 0 THEN '0' ELSE printf('%.9g', ${quoteIdent(c.column_name)}) END`
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
