/**
 * A unit's worker thread: imports the unit's handler by module and export name, runs it into the
 * folder it was given and reports the result. It heartbeats from its own event loop, so a handler
 * stuck in a synchronous loop silences it and the runner (local or `lab worker`) takes the unit back.
 */
import {mkdirSync, rmSync} from "node:fs";
import {parentPort} from "node:worker_threads";
import {isUnitHandler, type UnitTask} from "./units.js";

export interface RunUnitMessage {
  type: "run";
  /** Which run this is (a thread runs one unit at a time; replies carry it). */
  runId: number;
  task: UnitTask;
  outDir: string;
  heartbeatMs: number;
}

export type UnitReply =
  | {type: "ready"}
  | {type: "heartbeat"; runId: number}
  | {type: "log"; runId: number; line: string}
  | {type: "done"; runId: number; output: unknown}
  | {type: "failed"; runId: number; error: string};

const post = (reply: UnitReply) => parentPort!.postMessage(reply);

parentPort!.on("message", (m: RunUnitMessage) => {
  const beat = setInterval(() => post({type: "heartbeat", runId: m.runId}), m.heartbeatMs);
  run(m).then(
    (output) => (clearInterval(beat), post({type: "done", runId: m.runId, output})),
    (error: unknown) => (
      clearInterval(beat),
      post({type: "failed", runId: m.runId, error: error instanceof Error ? error.message : String(error)})
    )
  );
});
post({type: "ready"});

async function run(m: RunUnitMessage): Promise<unknown> {
  const module = (await import(m.task.module)) as Record<string, unknown>;
  const handler = module[m.task.exportName];
  if (!isUnitHandler(handler))
    throw new Error(`${m.task.module} does not export a unit handler as ${m.task.exportName}`);
  rmSync(m.outDir, {recursive: true, force: true});
  mkdirSync(m.outDir, {recursive: true});
  return handler.run(m.task.input, {outDir: m.outDir, log: (line) => post({type: "log", runId: m.runId, line})});
}
