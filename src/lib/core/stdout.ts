import {createReadStream, mkdtempSync, rmSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {pipeline} from "node:stream/promises";
import type {Duck} from "./duckdb.js";
import {copyQueryToParquet, writeParquet, type Column, type RowSource} from "./parquet-write.js";

async function pipeFile(path: string, out: NodeJS.WritableStream): Promise<void> {
  await pipeline(createReadStream(path), out, {end: out !== process.stdout});
}

/** For data loaders: the result of a query, as Parquet, written to a stream (stdout by default). */
export async function writeQueryAsParquetToStream({
  duck,
  sql,
  out = process.stdout
}: {
  duck: Duck;
  sql: string;
  out?: NodeJS.WritableStream;
}): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), "lab-emit-"));
  try {
    const rows = await copyQueryToParquet({duck, sql, path: join(dir, "out.parquet")});
    await pipeFile(join(dir, "out.parquet"), out);
    return rows;
  } finally {
    rmSync(dir, {recursive: true, force: true});
  }
}

/** For data loaders: rows, as Parquet, written to a stream (stdout by default). */
export async function writeRowsAsParquetToStream({
  columns,
  rows,
  out = process.stdout
}: {
  columns: Column[];
  rows: RowSource;
  out?: NodeJS.WritableStream;
}): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), "lab-emit-"));
  try {
    const result = await writeParquet({path: join(dir, "out.parquet"), columns, rows});
    await pipeFile(result.path, out);
    return result.rows;
  } finally {
    rmSync(dir, {recursive: true, force: true});
  }
}
