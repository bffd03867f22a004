/**
 * The PostgreSQL sink: after each ingest pass, the current view of each configured topic is
 * mirrored into a PostgreSQL table (lab.config.ts `topicSinks`). Parquet stays the warehouse;
 * the table is a copy others query with SQL. Each topic's change is one transaction, so readers
 * (MVCC) see the table before the pass or after it, never half-written, and keep their grants,
 * indexes and views on it: rows of jobs that left the view are deleted and rows of jobs that
 * entered it inserted (by `_job_id`), a topic without job lineage (derived, catalog) is replaced
 * whole, and a topic whose schema changed is re-created. A state table in the same schema,
 * `lab_sink_state`, holds what each table mirrors, so a rerun over an unchanged view does nothing.
 */
import {createHash} from "node:crypto";
import {existsSync} from "node:fs";
import {resolve} from "node:path";
import pg from "pg";
import {openDuckDB, type Duck} from "../core/duckdb.js";
import {LabError} from "../core/errors.js";
import {quoteIdent} from "../core/sql.js";
import {readTextFile} from "../core/text-file.js";
import type {LabPaths} from "./paths.js";
import {topicSource, type Manifest, type ManifestTopic} from "./warehouse.js";

/** lab.config.ts `topicSinks.<topic>.postgres`. The URL is a secret: from the environment or a file only. */
export interface PostgresSinkSetting {
  /** An environment variable holding `postgres://user:password@host/db`. */
  urlEnv?: string;
  /** A file (relative to the project) holding it, readable by you alone (chmod 600). */
  urlFile?: string;
  /** The PostgreSQL schema (created when missing); `public` by default. */
  schema?: string;
  /** The table's name; the topic's by default. */
  table?: string;
}

const SETTING_KEYS = ["urlEnv", "urlFile", "schema", "table"];

export type TopicSinks = Record<string, {postgres?: PostgresSinkSetting}>;

/** What one pass did to one mirrored table. */
export interface SinkResult {
  topic: string;
  /** `schema.table`. */
  target: string;
  action: "unchanged" | "updated" | "replaced" | "created" | "failed" | "absent";
  rows: number;
  added: number;
  removed: number;
  /** How long mirroring this topic took. */
  seconds: number;
  error?: string;
}

const ROWS_PER_INSERT = 5000;

/** The sink's URL, from `urlEnv` or `urlFile` (never from the config itself nor the command line). */
export function sinkUrl({
  topic,
  setting,
  env = process.env,
  projectDir
}: {
  topic: string;
  setting: PostgresSinkSetting;
  env?: NodeJS.ProcessEnv;
  projectDir: string;
}): string {
  const where = {file: "lab.config.ts", column: `topicSinks.${topic}.postgres`};
  for (const key of Object.keys(setting))
    if (!SETTING_KEYS.includes(key))
      throw new LabError({
        ...where,
        reason: key === "url" ? "a URL holds a password: it never goes into lab.config.ts" : `unknown key ${key}`,
        hint:
          key === "url"
            ? "name an environment variable (urlEnv) or a file (urlFile) holding it"
            : `known: ${SETTING_KEYS.join(", ")}`
      });
  if (setting.urlEnv && env[setting.urlEnv]) return env[setting.urlEnv]!.trim();
  if (setting.urlFile) {
    const path = resolve(projectDir, setting.urlFile);
    if (!existsSync(path))
      throw new LabError({
        ...where,
        reason: `urlFile ${setting.urlFile} does not exist`,
        hint: "write the URL (postgres://user:password@host/db) into it, readable by you alone (chmod 600)"
      });
    return readTextFile({path}).trim();
  }
  throw new LabError({
    ...where,
    reason: setting.urlEnv ? `$${setting.urlEnv} is unset` : "no urlEnv or urlFile names where its URL is",
    hint: "export the variable urlEnv names, or set urlFile to a file holding the URL"
  });
}

/** PostgreSQL's type for a DuckDB column type; nested values travel as JSON. */
export function postgresType(duckType: string): string {
  const t = duckType.toUpperCase();
  if (/[[\]]|^(STRUCT|MAP|UNION)\b|^JSON$/.test(t)) return "jsonb";
  const decimal = /^DECIMAL\((\d+),\s*(\d+)\)$/.exec(t);
  if (decimal) return `numeric(${decimal[1]}, ${decimal[2]})`;
  const types: Record<string, string> = {
    BOOLEAN: "boolean",
    TINYINT: "smallint",
    UTINYINT: "smallint",
    SMALLINT: "smallint",
    USMALLINT: "integer",
    INTEGER: "integer",
    UINTEGER: "bigint",
    BIGINT: "bigint",
    UBIGINT: "numeric",
    HUGEINT: "numeric",
    UHUGEINT: "numeric",
    FLOAT: "real",
    DOUBLE: "double precision",
    DATE: "date",
    TIME: "time",
    TIMESTAMP: "timestamp",
    TIMESTAMP_S: "timestamp",
    TIMESTAMP_MS: "timestamp",
    TIMESTAMP_NS: "timestamp",
    "TIMESTAMP WITH TIME ZONE": "timestamptz",
    INTERVAL: "interval",
    UUID: "uuid",
    BLOB: "bytea"
  };
  return types[t] ?? "text";
}

/** DuckDB SQL turning a column into the text PostgreSQL parses as its mapped type. */
function asText(column: {name: string; type: string}): string {
  const c = quoteIdent(column.name);
  const pgType = postgresType(column.type);
  if (pgType === "jsonb") return `to_json(${c})::VARCHAR`;
  if (pgType === "bytea") return `'\\x' || hex(${c})`;
  return `${c}::VARCHAR`;
}

/** Mirrors each configured topic's current view; one failure is reported and the others go on. */
export async function mirrorTopics({
  paths,
  manifest,
  sinks,
  env = process.env,
  log
}: {
  paths: LabPaths;
  manifest: Manifest;
  sinks: TopicSinks;
  env?: NodeJS.ProcessEnv;
  log: (line: string) => void;
}): Promise<SinkResult[]> {
  const results: SinkResult[] = [];
  const clients = new Map<string, pg.Client>();
  const duck = await openDuckDB();
  try {
    for (const [topic, kinds] of Object.entries(sinks)) {
      const unknown = Object.keys(kinds).find((k) => k !== "postgres");
      if (unknown) {
        const error = `lab.config.ts:topicSinks.${topic}.${unknown}: unknown sink (hint: known: postgres)`;
        results.push({topic, target: unknown, action: "failed", rows: 0, added: 0, removed: 0, seconds: 0, error});
        log(`sink ${topic} FAILED: ${error}`);
        continue;
      }
      const {postgres} = kinds;
      if (!postgres) continue;
      const schema = postgres.schema ?? "public";
      const table = postgres.table ?? topic;
      const target = `${schema}.${table}`;
      const started = performance.now();
      const base = {topic, target, rows: 0, added: 0, removed: 0, seconds: 0};
      const seconds = () => +((performance.now() - started) / 1000).toFixed(3);
      const entry = manifest.topics[topic];
      if (!entry) {
        results.push({...base, action: "absent"});
        log(`sink ${topic} → postgres ${target}: the topic is not in the warehouse yet`);
        continue;
      }
      try {
        const url = sinkUrl({topic, setting: postgres, env, projectDir: paths.projectDir});
        let client = clients.get(url);
        if (!client) {
          client = new pg.Client({connectionString: url});
          await client.connect();
          clients.set(url, client);
        }
        const result = await mirrorTopic({client, duck, paths, entry, schema, table, topic});
        results.push({...base, ...result, seconds: seconds()});
        if (result.action !== "unchanged")
          log(
            `sink ${topic} → postgres ${target}: ${result.action}, ${result.rows.toLocaleString("en-US")} rows (+${result.added} −${result.removed}) in ${seconds().toFixed(1)}s`
          );
      } catch (error) {
        const text = error instanceof Error ? error.message : String(error);
        results.push({...base, action: "failed", error: text, seconds: seconds()});
        log(`sink ${topic} → postgres ${target} FAILED: ${text}`);
      }
    }
  } finally {
    duck.close();
    for (const client of clients.values()) await client.end().catch(() => {});
  }
  return results;
}

/** The view's identity: its schema and its files (a changed file is a new path). */
function fingerprints(entry: ManifestTopic): {schema: string; view: string} {
  const hash = (v: unknown) => createHash("sha256").update(JSON.stringify(v)).digest("hex").slice(0, 32);
  return {schema: hash(entry.schema), view: hash([entry.schema, entry.files.map((f) => f.path)])};
}

/** One topic's mirror, in one transaction (see the module comment). */
async function mirrorTopic({
  client,
  duck,
  paths,
  entry,
  schema,
  table,
  topic
}: {
  client: pg.Client;
  duck: Duck;
  paths: LabPaths;
  entry: ManifestTopic;
  schema: string;
  table: string;
  topic: string;
}): Promise<Pick<SinkResult, "action" | "rows" | "added" | "removed">> {
  const s = quoteIdent(schema);
  const qualified = `${s}.${quoteIdent(table)}`;
  const state = `${s}.lab_sink_state`;
  const fp = fingerprints(entry);
  await client.query("BEGIN");
  try {
    await client.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`lab-sink ${schema}.${table}`]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${state} (table_name text PRIMARY KEY, topic text NOT NULL, schema_fingerprint text NOT NULL, view_fingerprint text NOT NULL, rows bigint NOT NULL, mirrored_at timestamptz NOT NULL)`
    );
    const {rows: before} = await client.query<{schema_fingerprint: string; view_fingerprint: string; rows: string}>(
      `SELECT schema_fingerprint, view_fingerprint, rows FROM ${state} WHERE table_name = $1`,
      [table]
    );
    const exists = (await client.query(`SELECT to_regclass($1) AS t`, [qualified])).rows[0]?.t !== null;
    const previous = exists ? before[0] : undefined;
    if (previous?.view_fingerprint === fp.view) {
      await client.query("COMMIT");
      return {action: "unchanged", rows: Number(previous.rows), added: 0, removed: 0};
    }
    const lineage = entry.schema.some((c) => c.name === "_job_id") && entry.files.every((f) => f.job_id !== null);
    let action: SinkResult["action"];
    let removed = 0;
    let files = entry.files;
    if (!previous || previous.schema_fingerprint !== fp.schema) {
      action = exists ? "replaced" : "created";
      await client.query(`DROP TABLE IF EXISTS ${qualified}`);
      const columns = entry.schema.map((c) => `${quoteIdent(c.name)} ${postgresType(c.type)}`).join(", ");
      await client.query(`CREATE TABLE ${qualified} (${columns})`);
    } else if (lineage) {
      // Incremental: a job's rows are all in the view or all out of it.
      action = "updated";
      const mirrored = new Set(
        (await client.query<{id: string}>(`SELECT DISTINCT _job_id::text AS id FROM ${qualified}`)).rows.map((r) =>
          Number(r.id)
        )
      );
      const current = [...new Set(entry.files.map((f) => f.job_id!))];
      removed = (await client.query(`DELETE FROM ${qualified} WHERE NOT (_job_id = ANY($1::bigint[]))`, [current]))
        .rowCount!;
      files = entry.files.filter((f) => !mirrored.has(f.job_id!));
    } else {
      action = "replaced";
      removed = (await client.query(`DELETE FROM ${qualified}`)).rowCount!;
    }
    const added = await insertFiles({client, duck, paths, entry: {...entry, files}, qualified});
    // Indexed once loaded: building it row by row would slow the first load down.
    if (lineage && (action === "created" || action === "replaced"))
      await client.query(`CREATE INDEX IF NOT EXISTS ${quoteIdent(`${table}_job_id`)} ON ${qualified} (_job_id)`);
    const rows = (action === "updated" ? Number(previous!.rows) - removed : 0) + added;
    await client.query(
      `INSERT INTO ${state} VALUES ($1, $2, $3, $4, $5, now()) ON CONFLICT (table_name) DO UPDATE SET topic = $2, schema_fingerprint = $3, view_fingerprint = $4, rows = $5, mirrored_at = now()`,
      [table, topic, fp.schema, fp.view, rows]
    );
    await client.query("COMMIT");
    return {action, rows, added, removed};
  } catch (error) {
    await client.query("ROLLBACK").catch(() => {});
    throw error;
  }
}

/** Copies the rows of `entry`'s files into the table, in batches of text arrays cast server-side. */
async function insertFiles({
  client,
  duck,
  paths,
  entry,
  qualified
}: {
  client: pg.Client;
  duck: Duck;
  paths: LabPaths;
  entry: ManifestTopic;
  qualified: string;
}): Promise<number> {
  if (!entry.files.length) return 0;
  const columns = entry.schema;
  const names = columns.map((c) => quoteIdent(c.name)).join(", ");
  const casts = columns.map((c, i) => `c${i}::${postgresType(c.type)}`).join(", ");
  const unnest = columns.map((_, i) => `$${i + 1}::text[]`).join(", ");
  const aliases = columns.map((_, i) => `c${i}`).join(", ");
  const insert = `INSERT INTO ${qualified} (${names}) SELECT ${casts} FROM unnest(${unnest}) AS u(${aliases})`;
  const select = `SELECT ${columns.map((c, i) => `${asText(c)} AS c${i}`).join(", ")} FROM (${topicSource({paths, entry})})`;
  let batch: (string | null)[][] = columns.map(() => []);
  let pending = 0;
  let added = 0;
  const flush = async () => {
    if (!pending) return;
    await client.query(insert, batch);
    added += pending;
    batch = columns.map(() => []);
    pending = 0;
  };
  for await (const rows of duck.stream<Record<string, string | null>>(select)) {
    for (const row of rows) {
      for (let i = 0; i < columns.length; i++) batch[i]!.push(row[`c${i}`] ?? null);
      if (++pending >= ROWS_PER_INSERT) await flush();
    }
  }
  await flush();
  return added;
}
