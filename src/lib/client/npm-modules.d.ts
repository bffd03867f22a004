// Types for the `npm:` specifiers that browser helpers import; Framework resolves them at build
// time (from node_modules, see tools/offline-npm.ts), TypeScript only needs their shapes.
declare module "npm:apache-arrow" {
  export * from "apache-arrow";
}
declare module "npm:parquet-wasm" {
  export * from "parquet-wasm/esm/parquet_wasm.js";
  export {default} from "parquet-wasm/esm/parquet_wasm.js";
}
declare module "npm:@observablehq/duckdb" {
  import type {Table} from "apache-arrow";
  export class DuckDBClient {
    static of(sources?: Record<string, unknown>, config?: Record<string, unknown>): Promise<DuckDBClient>;
    query(query: string, params?: unknown[]): Promise<Table>;
    sql(strings: TemplateStringsArray, ...params: unknown[]): Promise<Table>;
  }
}
