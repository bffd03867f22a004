import {existsSync, mkdirSync, readFileSync, renameSync, writeFileSync} from "node:fs";
import {join} from "node:path";
import WebSocket from "ws";
import {LabError} from "../core/errors.js";
import {writeParquet} from "../core/parquet-write.js";
import {tempPathFor} from "../core/atomic-file.js";
import type {FeedBatch, FeedEnd} from "./feed-server.js";
import type {PostgresSink, SilverRow} from "./postgres-sink.js";

export interface LandOptions {
  /** The feed, e.g. ws://127.0.0.1:8765/ami */
  url: string;
  token: string;
  /** Bronze parts land in outDir/bronze/, the committed offset in outDir/_checkpoint.json. */
  outDir: string;
  /** Commit (write a part, then advance the checkpoint) at least this often. */
  commitMs?: number;
  signal?: AbortSignal;
  log?: (line: string) => void;
  /** Called after each commit with its rows and their landing latencies (ms). */
  onCommit?: (commit: {from: number; to: number; latenciesMs: number[]}) => void;
  /** Dual write: silver readings upserted here in the same commit, before the checkpoint moves. */
  sink?: PostgresSink;
  /** Awaited after a part (and the PostgreSQL write) and before the checkpoint moves (tests stall here). */
  onPartWritten?: (part: {from: number; to: number}) => Promise<void> | void;
  now?: () => number;
}

export interface LandResult {
  committed: number;
  reconnects: number;
  latenciesMs: number[];
  ended: boolean;
}

/** The bronze part schema: one row per delivery, the reading as received (JSON). */
export const BRONZE_COLUMNS = [
  {name: "ingested_at", type: "TIMESTAMP"},
  {name: "feed_offset", type: "BIGINT"},
  {name: "generated_at", type: "TIMESTAMP"},
  {name: "payload", type: "JSON"}
];

/** The committed offset: every reading before it is in some bronze part (and in PostgreSQL). */
export function readCheckpoint(outDir: string): number {
  const path = join(outDir, "_checkpoint.json");
  return existsSync(path) ? (JSON.parse(readFileSync(path, "utf-8")) as {offset: number}).offset : 0;
}

function writeCheckpoint(outDir: string, offset: number): void {
  const path = join(outDir, "_checkpoint.json");
  const temp = tempPathFor(path);
  writeFileSync(temp, JSON.stringify({offset, committed_at: new Date().toISOString()}));
  renameSync(temp, path);
}

/**
 * `lab land ami URL`: lands the feed into bronze Parquet with at-least-once delivery. Rows are
 * buffered and committed every `commitMs`: first the part file (atomically), then the checkpoint
 * (atomically). A crash between the two re-lands that part after restart (a duplicate bronze
 * rows that silver's dedup removes), never a gap. After a disconnect it reconnects with backoff
 * and resumes from the committed offset; on stop it commits what it holds and closes cleanly.
 */
export async function landAmi({
  url,
  token,
  outDir,
  commitMs = 250,
  signal,
  log = () => {},
  onCommit,
  sink,
  onPartWritten,
  now = Date.now
}: LandOptions): Promise<LandResult> {
  mkdirSync(join(outDir, "bronze"), {recursive: true});
  const result: LandResult = {committed: readCheckpoint(outDir), reconnects: 0, latenciesMs: [], ended: false};
  let buffer: {offset: number; generated: number; payload: string}[] = [];
  let committing: Promise<void> = Promise.resolve();

  const commit = async () => {
    if (!buffer.length) return;
    const rows = buffer;
    buffer = [];
    const from = rows[0]!.offset;
    const to = rows.at(-1)!.offset + 1;
    const landed = now();
    await writeParquet({
      path: join(outDir, "bronze", `part-${String(from).padStart(12, "0")}-${String(to).padStart(12, "0")}.parquet`),
      columns: BRONZE_COLUMNS,
      rows: rows.map((r) => ({
        ingested_at: new Date(landed),
        feed_offset: r.offset,
        generated_at: new Date(r.generated),
        payload: r.payload
      }))
    });
    // Same rhythm for both sinks: the checkpoint moves only after both hold the commit.
    if (sink)
      await sink.write(
        rows.map((r) => JSON.parse(r.payload) as SilverRow),
        new Date(landed)
      );
    await onPartWritten?.({from, to});
    writeCheckpoint(outDir, to);
    result.committed = to;
    const latencies = rows.map((r) => landed - r.generated);
    result.latenciesMs.push(...latencies);
    onCommit?.({from, to, latenciesMs: latencies});
  };

  const connectOnce = () =>
    new Promise<"ended" | "closed" | "stopped">((resolve, reject) => {
      const from = result.committed;
      const ws = new WebSocket(`${url}${url.includes("?") ? "&" : "?"}from=${from}`, {
        headers: {authorization: `Bearer ${token}`}
      });
      let expected = from;
      const timer = setInterval(() => (committing = committing.then(commit)), commitMs);
      const finish = (how: "ended" | "closed" | "stopped") => {
        clearInterval(timer);
        signal?.removeEventListener("abort", onAbort);
        resolve(how);
      };
      const onAbort = () => {
        ws.close();
        finish("stopped");
      };
      signal?.addEventListener("abort", onAbort, {once: true});
      ws.on("unexpected-response", (_req, res) => {
        clearInterval(timer);
        reject(
          new LabError({
            file: url,
            reason:
              res.statusCode === 401 ? "the feed refused our token (401)" : `the feed answered HTTP ${res.statusCode}`,
            hint: res.statusCode === 401 ? "pass the feed's token with --token-file FILE or $LAB_AMI_TOKEN" : undefined
          })
        );
      });
      ws.on("message", (data) => {
        const message = JSON.parse(String(data)) as FeedBatch | FeedEnd;
        if (message.type === "end") {
          ws.close();
          return finish("ended");
        }
        // A resumed stream starts exactly at our offset; anything else is a protocol error.
        if (message.offset !== expected) return ws.terminate();
        message.readings.forEach((reading, i) =>
          buffer.push({
            offset: message.offset + i,
            generated: message.generated_at_ms,
            payload: JSON.stringify(reading)
          })
        );
        expected += message.readings.length;
      });
      ws.on("close", () => finish("closed"));
      ws.on("error", (error) => log(`land: ${error.message}`));
    });

  for (let attempt = 0; ; attempt++) {
    const how = await connectOnce();
    await (committing = committing.then(commit)); // flush what arrived before the close
    if (how === "ended") {
      result.ended = true;
      break;
    }
    if (how === "stopped" || signal?.aborted) break;
    result.reconnects++;
    const wait = Math.min(5000, 100 * 2 ** Math.min(attempt, 6));
    log(`land: disconnected at offset ${result.committed}; reconnecting in ${wait} ms`);
    await new Promise((r) => setTimeout(r, wait));
  }
  log(`land: ${result.committed} readings committed${result.ended ? " (feed ended)" : ""}`);
  return result;
}

/** p-th percentile (0–100) of a list of numbers. */
export function percentile(values: number[], p: number): number {
  if (!values.length) return Number.NaN;
  const sorted = values.slice().sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}
