/**
 * What the site's data loaders read: warehouse topics, every one of which may be absent (a
 * pipeline with no dataset never publishes its tables). An absent topic reads as an empty table
 * with the columns its pipeline declares (plus the `dataset` column every published table
 * carries), so a loader's SQL runs unchanged and the page gets an empty Parquet with the right
 * columns instead of a failed build.
 *
 *   await emitPageParquet({topics: ["metric_daily"], sql: "SELECT dataset, metric, day FROM metric_daily"});
 */
import {openDuckDB} from "../core/duckdb.js";
import {LabError} from "../core/errors.js";
import {quoteIdent, quoteString} from "../core/sql.js";
import {writeQueryAsParquetToStream} from "../core/stdout.js";
import type {Column} from "../core/parquet-write.js";
import {labPaths, type LabPaths} from "../catalog/paths.js";
import {noteTopics, readManifest, registerTopics} from "../catalog/warehouse.js";
import {pageTable, pageTables} from "./page-tables.js";

/** The catalog's dataset list, as the catalog publishes it (one row per dataset folder). */
export const CATALOG_DATASETS_COLUMNS: Column[] = [
  {name: "pipeline", type: "VARCHAR"},
  {name: "dataset", type: "VARCHAR"},
  {name: "folder", type: "VARCHAR"},
  {name: "simulated", type: "BOOLEAN"},
  {name: "files", type: "BIGINT"},
  {name: "newest_mtime", type: "TIMESTAMP"},
  {name: "options_file", type: "VARCHAR"}
];

/** Columns of topics no pipeline declares but pages read. */
const KNOWN_COLUMNS: Record<string, Column[]> = {catalog_datasets: CATALOG_DATASETS_COLUMNS};

/** The columns an absent topic reads with: the declared ones, and `dataset` for a pipeline's tables. */
export function declaredColumns({topic}: {topic: string}): Column[] {
  const known = KNOWN_COLUMNS[topic];
  if (known) return known;
  const table = pageTable({name: topic});
  if (!table)
    throw new LabError({
      reason: `no pipeline declares the table "${topic}", so a page cannot read it before it is published`,
      hint: "declare it in its domain's tables.ts, or fix the loader's topic name"
    });
  return [...table.columns, {name: "dataset", type: "VARCHAR"}];
}

export interface PageQueryOptions {
  projectDir?: string;
  paths?: LabPaths;
  /** Topics the query reads; each becomes a view of the same name, empty when absent. */
  topics: string[];
  sql: string;
}

/** For data loaders: SQL over warehouse topics (absent ones empty), printed as Parquet. */
export async function emitPageParquet({
  projectDir = process.cwd(),
  paths = labPaths({projectDir}),
  topics,
  sql,
  out = process.stdout
}: PageQueryOptions & {out?: NodeJS.WritableStream}): Promise<number> {
  noteTopics({paths, topics});
  const duck = await openDuckDB();
  try {
    await registerTopics({duck, paths, topics, absent: (topic) => declaredColumns({topic})});
    return await writeQueryAsParquetToStream({duck, sql, out});
  } finally {
    duck.close();
  }
}

/** For data loaders: SQL over warehouse topics (absent ones empty), as rows. */
export async function queryPageData({
  projectDir = process.cwd(),
  paths = labPaths({projectDir}),
  topics,
  sql
}: PageQueryOptions): Promise<Record<string, unknown>[]> {
  noteTopics({paths, topics});
  const duck = await openDuckDB();
  try {
    await registerTopics({duck, paths, topics, absent: (topic) => declaredColumns({topic})});
    return await duck.all(sql);
  } finally {
    duck.close();
  }
}

/** Whether a topic is in the warehouse's current view (e.g. a simulation's truth table). */
export function hasTopic({paths = labPaths(), topic}: {paths?: LabPaths; topic: string}): boolean {
  return topic in readManifest(paths).topics;
}

/**
 * Every quarantine table (a pipeline's rows set aside: `quarantine`, `*_quarantine`), declared or
 * published, with the pipeline that owns it.
 */
export function quarantineTopics({paths = labPaths()}: {paths?: LabPaths} = {}): {topic: string; pipeline: string}[] {
  const isQuarantine = (name: string) => name === "quarantine" || name.endsWith("_quarantine");
  const names = new Set([
    ...pageTables.flatMap(({tables}) => tables.map((t) => t.name)).filter(isQuarantine),
    ...Object.keys(readManifest(paths).topics).filter((t) => isQuarantine(t) && t !== "catalog_quarantine")
  ]);
  return [...names].sort().map((topic) => ({topic, pipeline: pageTable({name: topic})?.pipeline ?? "catalog"}));
}

/**
 * SQL over the quarantine topics: one row per pipeline, dataset, file, column and reason, with the
 * number of rows set aside and the first lines they were on.
 */
export function quarantineSummarySql({topics}: {topics: {topic: string; pipeline: string}[]}): string {
  const union = topics.length
    ? topics
        .map(
          ({topic, pipeline}) =>
            `SELECT ${quoteString(pipeline)} AS pipeline, dataset, file, line::BIGINT AS line, "column"::VARCHAR AS "column", reason FROM ${quoteIdent(topic)}`
        )
        .join(" UNION ALL ")
    : 'SELECT NULL::VARCHAR AS pipeline, NULL::VARCHAR AS dataset, NULL::VARCHAR AS file, NULL::BIGINT AS line, NULL::VARCHAR AS "column", NULL::VARCHAR AS reason LIMIT 0';
  return `SELECT pipeline, dataset, file, coalesce("column", '') AS "column", reason, count(*) AS rows,
                 min(line) AS first_line,
                 array_to_string(list_sort(list_distinct(list(line)))[1:5], ', ') || CASE WHEN count(DISTINCT line) > 5 THEN ', …' ELSE '' END AS lines
          FROM (${union}) GROUP BY ALL ORDER BY pipeline, dataset, rows DESC, file, first_line`;
}
