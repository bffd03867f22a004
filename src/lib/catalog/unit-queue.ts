/**
 * Units through the PostgreSQL queue (pg-boss, beside the catalog's own jobs): the coordinator
 * sends each unit of a batch as a queue job, `lab worker` processes fetch them (SKIP LOCKED: one
 * worker a unit), run them on a unit thread, heartbeat into `lab_unit_beats` and write the result
 * into `lab_unit_results`. The coordinator takes back a unit whose worker went silent for the
 * heartbeat timeout (it cancels the queue job, so the silent worker can no longer report it) and
 * sends it again as the next attempt; only the attempt in flight is accepted.
 */
import PgBoss from "pg-boss";
import {quoteIdent} from "../core/sql.js";
import {withQueueSetupLock} from "./queue-setup-lock.js";
import type {UnitTask} from "./units.js";

const UNITS = "lab-units";

/** What a worker fetches. */
export interface QueuedUnit {
  batch: string;
  task: UnitTask;
  attempt: number;
  outDir: string;
  heartbeatMs: number;
  heartbeatTimeoutMs: number;
}

/** A worker's report of one attempt. */
export interface UnitReport {
  queueId: string;
  batch: string;
  unit: string;
  attempt: number;
  workerId: string;
  ok: boolean;
  output?: unknown;
  error?: string;
}

export class UnitQueue {
  private constructor(
    private readonly boss: PgBoss,
    private readonly schema: string
  ) {}

  static async open({url, schema}: {url: string; schema: string}): Promise<UnitQueue> {
    const boss = new PgBoss({connectionString: url, schema, schedule: false, max: 3});
    boss.on("error", () => {}); // connection errors surface on the next call
    try {
      await withQueueSetupLock({url, schema}, () => UnitQueue.setUp({boss, schema}));
    } catch (error) {
      await boss.stop({graceful: false, wait: true}).catch(() => {});
      throw error;
    }
    return new UnitQueue(boss, schema);
  }

  private static async setUp({boss, schema}: {boss: PgBoss; schema: string}): Promise<void> {
    await boss.start();
    await boss.createQueue(UNITS);
    const s = quoteIdent(schema);
    await boss.getDb().executeSql(
      `CREATE TABLE IF NOT EXISTS ${s}.lab_unit_beats (queue_id uuid PRIMARY KEY, worker_id text NOT NULL, at timestamptz NOT NULL);
       CREATE TABLE IF NOT EXISTS ${s}.lab_unit_results (queue_id uuid PRIMARY KEY, batch text NOT NULL, unit text NOT NULL,
         attempt int NOT NULL, worker_id text NOT NULL, ok boolean NOT NULL, output jsonb, error text, at timestamptz NOT NULL DEFAULT now());
       CREATE INDEX IF NOT EXISTS lab_unit_results_batch ON ${s}.lab_unit_results (batch)`,
      [] // no parameters: the simple protocol, which runs several statements
    );
  }

  private sql<T>(text: string, values: unknown[]): Promise<{rows: T[]}> {
    return this.boss.getDb().executeSql(text, values) as Promise<{rows: T[]}>;
  }

  /**
   * Coordinator, at a batch's start: drops reports nobody took for a day (their coordinator died;
   * a unit it had queued still runs once on some worker, and its report lands here).
   */
  async dropOrphans(): Promise<void> {
    await this.sql(`DELETE FROM ${quoteIdent(this.schema)}.lab_unit_results WHERE at < now() - interval '1 day'`, []);
  }

  /** Coordinator: queues one attempt (pg-boss retries off: the coordinator counts attempts itself). */
  async send(unit: QueuedUnit): Promise<string> {
    const id = await this.boss.send(UNITS, unit as unknown as object, {retryLimit: 0, expireInSeconds: 86_399});
    if (!id) throw new Error("pg-boss refused the unit");
    return id;
  }

  /** Coordinator: the batch's reports that arrived, each returned once (then deleted). */
  async takeReports({batch}: {batch: string}): Promise<UnitReport[]> {
    const {rows} = await this.sql<{
      queue_id: string;
      unit: string;
      attempt: number;
      worker_id: string;
      ok: boolean;
      output: unknown;
      error: string | null;
    }>(
      `DELETE FROM ${quoteIdent(this.schema)}.lab_unit_results WHERE batch = $1 RETURNING queue_id::text, unit, attempt, worker_id, ok, output, error`,
      [batch]
    );
    return rows.map((r) => ({
      queueId: r.queue_id,
      batch,
      unit: r.unit,
      attempt: r.attempt,
      workerId: r.worker_id,
      ok: r.ok,
      output: r.output,
      ...(r.error === null ? {} : {error: r.error})
    }));
  }

  /** Coordinator: of these queue jobs, those taken by a worker that has been silent `timeoutMs`, or failed in pg-boss. */
  async lost({ids, timeoutMs}: {ids: string[]; timeoutMs: number}): Promise<{id: string; silentS: number}[]> {
    if (!ids.length) return [];
    const s = quoteIdent(this.schema);
    const {rows} = await this.sql<{id: string; silent: number}>(
      `SELECT j.id::text AS id, extract(epoch FROM now() - coalesce(h.at, j.started_on)) AS silent
       FROM ${s}.job j LEFT JOIN ${s}.lab_unit_beats h ON h.queue_id = j.id
       WHERE j.name = $1 AND j.id = ANY($2::uuid[])
         AND ((j.state = 'active' AND coalesce(h.at, j.started_on) < now() - make_interval(secs => $3))
              OR j.state IN ('failed', 'cancelled'))`,
      [UNITS, ids, timeoutMs / 1000]
    );
    return rows.map((r) => ({id: r.id, silentS: Number(r.silent)}));
  }

  /** Coordinator: takes a unit back (a worker still holding it can no longer report it). */
  async cancel(id: string): Promise<void> {
    await this.boss.cancel(UNITS, id);
    await this.sql(`DELETE FROM ${quoteIdent(this.schema)}.lab_unit_beats WHERE queue_id = $1`, [id]);
  }

  /** Worker: the next queued unit, or undefined. */
  async fetch(): Promise<{id: string; unit: QueuedUnit} | undefined> {
    const [job] = await this.boss.fetch<QueuedUnit>(UNITS, {batchSize: 1});
    return job ? {id: job.id, unit: job.data} : undefined;
  }

  /** Worker: the unit's thread is alive. */
  async beat({id, workerId}: {id: string; workerId: string}): Promise<void> {
    await this.sql(
      `INSERT INTO ${quoteIdent(this.schema)}.lab_unit_beats VALUES ($1, $2, now()) ON CONFLICT (queue_id) DO UPDATE SET at = now(), worker_id = $2`,
      [id, workerId]
    );
  }

  /**
   * Worker: the attempt's result, written only while the queue job is still this worker's (active,
   * not cancelled by a coordinator that took it back), in one statement with closing it.
   */
  async report(r: UnitReport): Promise<void> {
    const s = quoteIdent(this.schema);
    await this.sql(
      `WITH held AS (SELECT id FROM ${s}.job WHERE name = $1 AND id = $2::uuid AND state = 'active')
       INSERT INTO ${s}.lab_unit_results (queue_id, batch, unit, attempt, worker_id, ok, output, error)
       SELECT $2::uuid, $3, $4, $5, $6, $7, $8::jsonb, $9 FROM held`,
      [
        UNITS,
        r.queueId,
        r.batch,
        r.unit,
        r.attempt,
        r.workerId,
        r.ok,
        JSON.stringify(r.output ?? null),
        r.error ?? null
      ]
    );
    await this.boss.complete(UNITS, r.queueId).catch(() => {});
    await this.sql(`DELETE FROM ${s}.lab_unit_beats WHERE queue_id = $1`, [r.queueId]);
  }

  async close(): Promise<void> {
    await this.boss.stop({graceful: false, wait: true});
  }
}
