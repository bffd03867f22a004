/**
 * The catalog's job queue in PostgreSQL, through pg-boss (docs/catalog.md says why that library):
 * the coordinator (`lab ingest`) sends each claimed job there, `lab worker` processes on any host
 * fetch them (pg-boss locks with SKIP LOCKED, so one job goes to one worker), stage the output
 * where the coordinator can reach it, and send back a result. The catalog stays the coordinator's
 * DuckDB file: the queue carries work and results, and the heartbeats that let the coordinator
 * take a job back from a worker that went silent.
 */
import {hostname} from "node:os";
import PgBoss from "pg-boss";
import {quoteIdent} from "../core/sql.js";
import {withQueueSetupLock} from "./queue-setup-lock.js";
import type {RunJobMessage, StagedOutput} from "./job-worker.js";

export const JOBS = "lab-jobs";

/** Every `lab worker` process announces itself here every few seconds while it serves. */
export const WORKERS_TABLE = (schema: string) =>
  `CREATE TABLE IF NOT EXISTS ${quoteIdent(schema)}.lab_workers (worker_id text PRIMARY KEY, host text NOT NULL, pid integer NOT NULL, threads integer NOT NULL, started_at timestamptz NOT NULL, seen_at timestamptz NOT NULL)`;

/** How often a serving worker renews its row in lab_workers. */
export const ANNOUNCE_MS = 2000;
const RESULTS = "lab-results";

/** What a worker fetches. */
export interface QueuedJob {
  message: RunJobMessage;
  /** The worker's own watchdog stops a thread silent this long. */
  heartbeatTimeoutMs: number;
}

/** What a worker sends back for a job. */
export type JobResult = {queueId: string; jobId: number; attempt: number; workerId: string} & (
  | {type: "done"; outputs: StagedOutput[]; rejected?: string; codeVersion?: string}
  | {type: "failed"; error: string; badInput: boolean}
);

export class LabQueue {
  private constructor(
    private readonly boss: PgBoss,
    private readonly schema: string
  ) {}

  static async open({url, schema}: {url: string; schema: string}): Promise<LabQueue> {
    // pg-boss's maintenance (expiry, archiving) runs in every process, coordinated by PostgreSQL
    // advisory locks; no cron scheduling is needed.
    const boss = new PgBoss({connectionString: url, schema, schedule: false, max: 4});
    boss.on("error", () => {}); // connection errors surface on the next call
    await withQueueSetupLock({url, schema}, async () => {
      await boss.start();
      await boss.createQueue(JOBS);
      await boss.createQueue(RESULTS);
      await boss
        .getDb()
        .executeSql(
          `CREATE TABLE IF NOT EXISTS ${quoteIdent(schema)}.lab_heartbeats (queue_id uuid PRIMARY KEY, worker_id text NOT NULL, at timestamptz NOT NULL)`,
          []
        );
      await boss.getDb().executeSql(WORKERS_TABLE(schema), []);
    });
    return new LabQueue(boss, schema);
  }

  /**
   * Queues one claimed job. Retries are off in pg-boss: the coordinator records every failed
   * attempt in the catalog and queues the next attempt itself, so both ways of running jobs share
   * one retry policy and one attempt count. The expiry (pg-boss allows a day at most) is a backstop only.
   */
  async sendJob({job, priority}: {job: QueuedJob; priority: number}): Promise<string> {
    const id = await this.boss.send(JOBS, job as unknown as object, {retryLimit: 0, expireInSeconds: 86_399, priority});
    if (!id) throw new Error("pg-boss refused the job");
    return id;
  }

  /**
   * Coordinator side, at its start: jobs still queued belong to a dead coordinator (one runs at a
   * time), which the catalog requeues anyway; a worker must not spend time on them. Results left
   * from then are dropped too.
   */
  async dropStale(): Promise<void> {
    await this.boss.purgeQueue(JOBS);
    await this.boss.purgeQueue(RESULTS);
  }

  /** Results that arrived (each taken once). */
  async takeResults(): Promise<JobResult[]> {
    const jobs = await this.boss.fetch<JobResult>(RESULTS, {batchSize: 200});
    if (jobs.length)
      await this.boss.complete(
        RESULTS,
        jobs.map((j) => j.id)
      );
    return jobs.map((j) => j.data);
  }

  /**
   * Of the given queue jobs, those a worker took and then went silent on for `timeoutMs` (by the
   * database's clock), and those pg-boss itself failed or cancelled; with how long they were silent.
   */
  async lostJobs({ids, timeoutMs}: {ids: string[]; timeoutMs: number}): Promise<{id: string; silentS: number}[]> {
    if (!ids.length) return [];
    const s = quoteIdent(this.schema);
    const {rows} = await this.boss.getDb().executeSql(
      `SELECT j.id::text AS id, extract(epoch FROM now() - coalesce(h.at, j.started_on)) AS silent
       FROM ${s}.job j LEFT JOIN ${s}.lab_heartbeats h ON h.queue_id = j.id
       WHERE j.name = $1 AND j.id = ANY($2::uuid[])
         AND ((j.state = 'active' AND coalesce(h.at, j.started_on) < now() - make_interval(secs => $3))
              OR j.state IN ('failed', 'cancelled'))`,
      [JOBS, ids, timeoutMs / 1000]
    );
    return rows.map((r: {id: string; silent: number}) => ({id: r.id, silentS: Number(r.silent)}));
  }

  /** Takes a job back: a worker still holding it can no longer complete it. */
  async cancel(id: string): Promise<void> {
    await this.boss.cancel(JOBS, id);
    await this.forget(id);
  }

  /** Worker side: the next queued job, or undefined. */
  async fetchJob(): Promise<{id: string; job: QueuedJob} | undefined> {
    const [job] = await this.boss.fetch<QueuedJob>(JOBS, {batchSize: 1});
    return job ? {id: job.id, job: job.data} : undefined;
  }

  /** Worker side: the job's thread is alive. */
  async beat({id, workerId}: {id: string; workerId: string}): Promise<void> {
    await this.boss
      .getDb()
      .executeSql(
        `INSERT INTO ${quoteIdent(this.schema)}.lab_heartbeats VALUES ($1, $2, now()) ON CONFLICT (queue_id) DO UPDATE SET at = now(), worker_id = $2`,
        [id, workerId]
      );
  }

  /** Worker side: sends the result, then closes the queue job (completed either way: the result says how it went). */
  async report(result: JobResult): Promise<void> {
    await this.boss.send(RESULTS, result as unknown as object, {retryLimit: 0});
    await this.boss.complete(JOBS, result.queueId);
    await this.forget(result.queueId);
  }

  /** Worker side: this `lab worker` process is serving (`lab status` lists it; ingest checks for one). */
  async announce({workerId, threads}: {workerId: string; threads: number}): Promise<void> {
    await this.boss
      .getDb()
      .executeSql(
        `INSERT INTO ${quoteIdent(this.schema)}.lab_workers VALUES ($1, $2, $3, $4, now(), now()) ON CONFLICT (worker_id) DO UPDATE SET seen_at = now()`,
        [workerId, hostname(), process.pid, threads]
      );
  }

  /** Worker side: this process stopped serving. */
  async retire(workerId: string): Promise<void> {
    await this.boss
      .getDb()
      .executeSql(`DELETE FROM ${quoteIdent(this.schema)}.lab_workers WHERE worker_id = $1`, [workerId]);
  }

  /** How many `lab worker` processes announced themselves within `withinMs` (by the database's clock). */
  async liveWorkers({withinMs}: {withinMs: number}): Promise<number> {
    const {rows} = await this.boss
      .getDb()
      .executeSql(
        `SELECT count(*)::int AS n FROM ${quoteIdent(this.schema)}.lab_workers WHERE seen_at > now() - make_interval(secs => $1)`,
        [withinMs / 1000]
      );
    return Number(rows[0]?.n ?? 0);
  }

  private async forget(id: string): Promise<void> {
    await this.boss
      .getDb()
      .executeSql(`DELETE FROM ${quoteIdent(this.schema)}.lab_heartbeats WHERE queue_id = $1`, [id]);
  }

  async close(): Promise<void> {
    await this.boss.stop({graceful: false, wait: true});
  }
}
