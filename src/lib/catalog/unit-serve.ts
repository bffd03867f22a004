/**
 * `lab worker`'s side of units: a slot with no catalog job to run fetches a unit from the queue,
 * runs it on a unit thread (heartbeats become rows the coordinator watches) and reports it.
 */
import type {UnitQueue} from "./unit-queue.js";
import type {UnitSlot} from "./unit-slot.js";

/** Serves one queued unit if there is one; resolves false when the queue had none. */
export async function serveOneUnit({
  units,
  slot,
  workerId,
  log
}: {
  units: UnitQueue;
  /** Made on first use: most workers never see a unit. */
  slot: () => UnitSlot;
  workerId: string;
  log: (line: string) => void;
}): Promise<boolean> {
  const fetched = await units.fetch();
  if (!fetched) return false;
  const {unit} = fetched;
  log(`${workerId}: unit ${unit.task.id} (attempt ${unit.attempt})`);
  const outcome = await slot().run({
    task: unit.task,
    outDir: unit.outDir,
    heartbeatMs: unit.heartbeatMs,
    heartbeatTimeoutMs: unit.heartbeatTimeoutMs,
    onBeat: () => void units.beat({id: fetched.id, workerId}).catch(() => {}),
    log: (line) => log(`${workerId}: ${unit.task.id}: ${line}`)
  });
  await units.report({
    queueId: fetched.id,
    batch: unit.batch,
    unit: unit.task.id,
    attempt: unit.attempt,
    workerId,
    ok: outcome.ok,
    ...(outcome.ok ? {output: outcome.output} : {error: outcome.error})
  });
  log(`${workerId}: unit ${unit.task.id} ${outcome.ok ? "done" : `failed: ${outcome.error}`}`);
  return true;
}
