import {mkdirSync} from "node:fs";
import {dirname} from "node:path";
import {openDuckDB, type Duck} from "../core/duckdb.js";

/**
 * The catalog's tables (docs/catalog.md). One process owns the database at a time (the
 * ingest coordinator, guarded by the ingest lock); worker threads never open it, they ask the
 * coordinator over messages. A claim is therefore atomic by construction, and the UPDATE … RETURNING
 * that performs it is also a single statement.
 */
const SCHEMA = `
CREATE SEQUENCE IF NOT EXISTS seq_root START 1;
CREATE SEQUENCE IF NOT EXISTS seq_file START 1;
CREATE SEQUENCE IF NOT EXISTS seq_version START 1;
CREATE SEQUENCE IF NOT EXISTS seq_job START 1;
CREATE TABLE IF NOT EXISTS source_roots (
  root_id INTEGER PRIMARY KEY DEFAULT nextval('seq_root'),
  path VARCHAR NOT NULL,
  added_at TIMESTAMP NOT NULL
);
CREATE TABLE IF NOT EXISTS file_versions (
  file_version_id INTEGER PRIMARY KEY DEFAULT nextval('seq_version'),
  content_hash VARCHAR NOT NULL,
  size BIGINT NOT NULL,
  mtime TIMESTAMP NOT NULL,
  first_seen TIMESTAMP NOT NULL
);
CREATE TABLE IF NOT EXISTS file_locations (
  file_id INTEGER PRIMARY KEY DEFAULT nextval('seq_file'),
  root_id INTEGER NOT NULL,
  rel_path VARCHAR NOT NULL,
  size BIGINT NOT NULL,
  mtime_ms DOUBLE NOT NULL,
  current_version_id INTEGER,
  first_seen TIMESTAMP NOT NULL,
  last_seen TIMESTAMP NOT NULL,
  missing BOOLEAN NOT NULL DEFAULT false
);
CREATE TABLE IF NOT EXISTS location_versions (
  file_id INTEGER NOT NULL,
  file_version_id INTEGER NOT NULL,
  seen_at TIMESTAMP NOT NULL
);
CREATE TABLE IF NOT EXISTS routing_rules (
  position INTEGER NOT NULL,
  "glob" VARCHAR NOT NULL,
  tag VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS plugins (
  name VARCHAR NOT NULL,
  source VARCHAR NOT NULL,
  module VARCHAR NOT NULL,
  tags VARCHAR[],
  topics VARCHAR[],
  version INTEGER,
  status VARCHAR NOT NULL,
  error VARCHAR,
  loaded_at TIMESTAMP NOT NULL,
  params_hash VARCHAR NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS jobs (
  job_id INTEGER PRIMARY KEY DEFAULT nextval('seq_job'),
  plugin VARCHAR NOT NULL,
  plugin_version INTEGER NOT NULL,
  file_version_id INTEGER NOT NULL,
  file_id INTEGER NOT NULL,
  tag VARCHAR NOT NULL,
  dataset_folder VARCHAR NOT NULL DEFAULT '',
  options_hash VARCHAR NOT NULL DEFAULT '',
  status VARCHAR NOT NULL,
  priority INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  error VARCHAR,
  worker_id VARCHAR,
  created_at TIMESTAMP NOT NULL,
  started_at TIMESTAMP,
  finished_at TIMESTAMP,
  heartbeat_at TIMESTAMP,
  not_before TIMESTAMP,
  rows BIGINT,
  route_key VARCHAR NOT NULL DEFAULT '',
  params_hash VARCHAR NOT NULL DEFAULT '',
  code_version VARCHAR
);
CREATE TABLE IF NOT EXISTS location_routes (
  file_id INTEGER NOT NULL,
  plugin VARCHAR NOT NULL,
  route_key VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS job_outputs (
  job_id INTEGER NOT NULL,
  topic VARCHAR NOT NULL,
  path VARCHAR NOT NULL,
  rows BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS topics (
  topic VARCHAR NOT NULL,
  fingerprint VARCHAR NOT NULL,
  schema_json VARCHAR NOT NULL,
  created_at TIMESTAMP NOT NULL
);
CREATE TABLE IF NOT EXISTS workers (
  worker_id VARCHAR NOT NULL,
  pid INTEGER NOT NULL,
  started_at TIMESTAMP NOT NULL,
  heartbeat_at TIMESTAMP NOT NULL,
  status VARCHAR NOT NULL
);
`;

/** VARCHAR columns added after the first release: (table, column, whether old rows get '' or NULL). */
const ADDED_COLUMNS: [string, string, "empty" | "null"][] = [
  ["jobs", "dataset_folder", "empty"],
  ["jobs", "options_hash", "empty"],
  ["jobs", "route_key", "empty"],
  ["jobs", "params_hash", "empty"],
  ["jobs", "code_version", "null"],
  ["plugins", "params_hash", "empty"]
];

export async function openCatalog({path}: {path: string}): Promise<Duck> {
  mkdirSync(dirname(path), {recursive: true});
  const duck = await openDuckDB({path});
  await duck.run(SCHEMA);
  // A catalog from an earlier release gains the newer columns; its jobs then match no current key
  // (dataset, route), so its files are processed afresh. Checkpointed at once: DuckDB cannot replay
  // an ALTER from its write-ahead log after a crash.
  let altered = false;
  for (const [table, column, fill] of ADDED_COLUMNS) {
    const [has] = await duck.all(`SELECT 1 FROM information_schema.columns WHERE table_name = ? AND column_name = ?`, [
      table,
      column
    ]);
    if (has) continue;
    await duck.run(`ALTER TABLE ${table} ADD COLUMN ${column} VARCHAR`);
    if (fill === "empty") await duck.run(`UPDATE ${table} SET ${column} = ''`);
    altered = true;
  }
  if (altered) await duck.run("CHECKPOINT");
  return duck;
}

/** COLLECTED: a job whose superseded outputs were garbage-collected (its lineage stays). */
export type JobStatus = "QUEUED" | "RUNNING" | "COMPLETED" | "FAILED" | "COLLECTED";

export interface JobRow {
  job_id: number;
  plugin: string;
  plugin_version: number;
  file_version_id: number;
  file_id: number;
  tag: string;
  /** The dataset folder the job's file was found in (src/lib/catalog/datasets.ts). */
  dataset_folder: string;
  /** The content hash of that dataset's dataset.json when the job was queued ("" without one). */
  options_hash: string;
  /** Which route of its content the job serves (see enqueueJobs). */
  route_key: string;
  /** The hash of its plugin's parameters in lab.config.ts when the job was queued ("" without any). */
  params_hash: string;
  status: JobStatus;
  priority: number;
  attempts: number;
  error: string | null;
}
