/**
 * What `lab status` shows of the PostgreSQL queue: its jobs by state and the `lab worker`
 * processes that announced themselves. Read with a plain connection (starting pg-boss would run
 * its maintenance), and never with the password in what it prints.
 */
import pg from "pg";
import {quoteIdent} from "../core/sql.js";
import {ANNOUNCE_MS, JOBS} from "./pg-queue.js";

export interface QueueStatus {
  /** The queue's address without its password (`postgres://lab@127.0.0.1:5432/lab`). */
  where: string;
  schema: string;
  /** Sent by `lab ingest`, not yet taken by a worker. */
  waiting: number;
  /** Taken by a worker and not yet reported. */
  running: number;
  /** Taken back by the coordinator after a worker went silent (cancelled), or expired in pg-boss. */
  takenBack: number;
  failed: number;
  /** Workers that announced themselves; `alive` when within a few announce periods. */
  workers: {workerId: string; host: string; pid: number; threads: number; seenSecondsAgo: number; alive: boolean}[];
  /** Why the queue could not be read (unreachable, not created yet); the counts are then 0. */
  error?: string;
}

/** A worker silent this long is no longer counted alive (it announces every ANNOUNCE_MS). */
export const WORKER_ALIVE_MS = 5 * ANNOUNCE_MS;

/** The URL without its password, for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    u.password = "";
    return u.toString();
  } catch {
    return "(an unparsable URL)";
  }
}

export async function queueStatus({url, schema}: {url: string; schema: string}): Promise<QueueStatus> {
  const status: QueueStatus = {
    where: redactUrl(url),
    schema,
    waiting: 0,
    running: 0,
    takenBack: 0,
    failed: 0,
    workers: []
  };
  const client = new pg.Client({connectionString: url, connectionTimeoutMillis: 5000});
  try {
    await client.connect();
    const s = quoteIdent(schema);
    const {rows: exists} = await client.query(`SELECT to_regclass($1) AS job, to_regclass($2) AS workers`, [
      `${s}.job`,
      `${s}.lab_workers`
    ]);
    if (!exists[0]?.job) return {...status, error: "no queue in this schema yet (lab ingest or lab worker creates it)"};
    const {rows} = await client.query<{state: string; n: number}>(
      `SELECT state::text AS state, count(*)::int AS n FROM ${s}.job WHERE name = $1 GROUP BY 1`,
      [JOBS]
    );
    const count = (...states: string[]) => rows.filter((r) => states.includes(r.state)).reduce((n, r) => n + r.n, 0);
    Object.assign(status, {
      waiting: count("created", "retry"),
      running: count("active"),
      takenBack: count("cancelled"),
      failed: count("failed")
    });
    if (exists[0]?.workers) {
      const {rows: workers} = await client.query<{
        worker_id: string;
        host: string;
        pid: number;
        threads: number;
        ago: number;
      }>(
        `SELECT worker_id, host, pid, threads, extract(epoch FROM now() - seen_at)::float8 AS ago FROM ${s}.lab_workers WHERE seen_at > now() - interval '1 day' ORDER BY seen_at DESC LIMIT 20`
      );
      status.workers = workers.map((w) => ({
        workerId: w.worker_id,
        host: w.host,
        pid: w.pid,
        threads: w.threads,
        seenSecondsAgo: Math.round(w.ago),
        alive: w.ago * 1000 < WORKER_ALIVE_MS
      }));
    }
    return status;
  } catch (error) {
    return {...status, error: `unreachable: ${error instanceof Error ? error.message : String(error)}`};
  } finally {
    await client.end().catch(() => {});
  }
}

/** The lines `lab status` prints for the queue. */
export function formatQueueStatus(q: QueueStatus): string[] {
  const head = `queue     PostgreSQL ${q.where} (schema ${q.schema})`;
  if (q.error) return [head, `  ${q.error}`];
  const alive = q.workers.filter((w) => w.alive);
  return [
    head,
    `  jobs    waiting ${q.waiting}  running ${q.running}  taken back ${q.takenBack}  failed ${q.failed}`,
    `  workers ${alive.length} alive${alive.length ? "" : ": start `npm run lab -- worker` on a host that reaches the queue"}`,
    ...q.workers.map(
      (w) =>
        `    ${w.alive ? "✓" : "✗"} ${w.workerId.padEnd(28)} ${w.threads} thread(s), seen ${w.seenSecondsAgo} s ago${w.alive ? "" : " (silent: stopped or cut off)"}`
    )
  ];
}
