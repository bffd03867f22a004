/** Quotes an identifier for DuckDB SQL: `my "col"` → `"my ""col"""`. */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** Quotes a string literal for DuckDB SQL: `it's` → `'it''s'`. */
export function quoteString(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/** A list of paths as a DuckDB list literal, for read_parquet([…]). */
export function quoteList(items: readonly string[]): string {
  return `[${items.map(quoteString).join(", ")}]`;
}
