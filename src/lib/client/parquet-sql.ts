/**
 * Parquet in the browser without DuckDB extensions.
 *
 * DuckDB-WASM's own `read_parquet` downloads the parquet extension at run time, which a static,
 * offline report cannot do. Instead each Parquet attachment is decoded with parquet-wasm into an
 * Arrow table and inserted into DuckDB-WASM, which needs no extension. Pages then get a `sql`
 * tagged template, so ```sql cells run against those tables:
 *
 *   import {parquetSql} from "../../lib/client/parquet-sql.js";
 *   const sql = await parquetSql({walks: FileAttachment("../../data/lab/random-walks.parquet")});
 */
import {DuckDBClient} from "npm:@observablehq/duckdb";
import * as Arrow from "npm:apache-arrow";
import initParquet, {readParquet} from "npm:parquet-wasm";

/** What a Framework FileAttachment offers that we need. */
export interface ParquetAttachment {
  name: string;
  arrayBuffer(): Promise<ArrayBuffer>;
}

/** A table source: an attachment, or an attachment with a column projection. */
export type ParquetSource = ParquetAttachment | {file: ParquetAttachment; columns?: string[]};

let ready: Promise<unknown> | undefined;

/** Decodes one Parquet attachment into an Arrow table; errors name the file. */
export async function parquetTable(source: ParquetSource): Promise<Arrow.Table> {
  const {file, columns} = "file" in source ? source : {file: source, columns: undefined};
  ready ??= initParquet(import.meta.resolve("npm:parquet-wasm/esm/parquet_wasm_bg.wasm"));
  const [buffer] = await Promise.all([file.arrayBuffer(), ready]);
  try {
    const table = readParquet(new Uint8Array(buffer), columns ? {columns} : undefined);
    return Arrow.tableFromIPC(table.intoIPCStream());
  } catch (error) {
    throw new Error(`${file.name}: not a readable Parquet file (${(error as Error)?.message ?? error})`);
  }
}

/** A DuckDB-WASM client with each source registered as a table of the given name. */
export async function parquetClient(sources: Record<string, ParquetSource>): Promise<DuckDBClient> {
  const entries = await Promise.all(
    Object.entries(sources).map(async ([name, source]) => [name, await parquetTable(source)] as const)
  );
  return DuckDBClient.of(Object.fromEntries(entries));
}

/** The `sql` tagged template for ```sql cells, over the given Parquet attachments. */
export async function parquetSql(
  sources: Record<string, ParquetSource>
): Promise<(strings: TemplateStringsArray, ...params: unknown[]) => Promise<Arrow.Table>> {
  const client = await parquetClient(sources);
  return client.sql.bind(client);
}
