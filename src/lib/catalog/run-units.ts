/**
 * Runs a batch of units to completion, locally on worker threads or through the PostgreSQL queue
 * (see units.ts), and returns each unit's accepted result in the tasks' order. A unit that fails
 * or whose thread or worker goes silent is tried again, up to `maxAttempts`, each attempt in a
 * folder of its own; the batch fails (a LabError naming the unit) once a unit has no tries left.
 */
import {randomUUID} from "node:crypto";
import {rmSync} from "node:fs";
import {LabError} from "../core/errors.js";
import {UnitQueue} from "./unit-queue.js";
import {UnitSlot} from "./unit-slot.js";
import {unitDir, type UnitResult, type UnitsSetting, type UnitTask} from "./units.js";

export async function runUnits<O = unknown>({
  tasks,
  workDir,
  setting,
  log = () => {}
}: {
  tasks: UnitTask[];
  /** Each attempt's folder goes under it; with a queue, every worker must reach it at this path. */
  workDir: string;
  setting: UnitsSetting;
  log?: (line: string) => void;
}): Promise<UnitResult<O>[]> {
  const ids = new Set(tasks.map((t) => t.id));
  if (ids.size !== tasks.length) throw new LabError({reason: "two units share an id", hint: "unit ids name folders"});
  const results = setting.queue
    ? await runOnQueue({tasks, workDir, setting: {...setting, queue: setting.queue}, log})
    : await runLocally({tasks, workDir, setting, log});
  return tasks.map((t) => results.get(t.id)! as UnitResult<O>);
}

function giveUp(task: UnitTask, attempt: number, error: string): never {
  throw new LabError({
    reason: `unit ${task.id} failed after ${attempt} attempt(s): ${error}`,
    hint: "its log says why; nothing of the batch was published"
  });
}

async function runLocally({
  tasks,
  workDir,
  setting,
  log
}: {
  tasks: UnitTask[];
  workDir: string;
  setting: UnitsSetting;
  log: (line: string) => void;
}): Promise<Map<string, UnitResult>> {
  const results = new Map<string, UnitResult>();
  const queue = [...tasks];
  const slots = Array.from({length: Math.max(1, Math.min(setting.threads, tasks.length))}, () => new UnitSlot());
  try {
    await Promise.all(
      slots.map(async (slot, i) => {
        for (let task = queue.shift(); task; task = queue.shift()) {
          for (let attempt = 1; ; attempt++) {
            const outDir = unitDir({workDir, id: task.id, attempt});
            const outcome = await slot.run({
              task,
              outDir,
              heartbeatMs: setting.heartbeatMs,
              heartbeatTimeoutMs: setting.heartbeatTimeoutMs,
              log: (line) => log(`${task!.id}: ${line}`)
            });
            if (outcome.ok) {
              results.set(task.id, {id: task.id, output: outcome.output, outDir, attempt, workerId: `local-${i}`});
              break;
            }
            rmSync(outDir, {recursive: true, force: true});
            if (attempt >= setting.maxAttempts) giveUp(task, attempt, outcome.error);
            log(`unit ${task.id} attempt ${attempt} failed (${outcome.error}); trying again`);
          }
        }
      })
    );
  } finally {
    await Promise.all(slots.map((s) => s.close()));
  }
  return results;
}

async function runOnQueue({
  tasks,
  workDir,
  setting,
  log
}: {
  tasks: UnitTask[];
  workDir: string;
  setting: UnitsSetting & {queue: {url: string; schema: string}};
  log: (line: string) => void;
}): Promise<Map<string, UnitResult>> {
  const queue = await UnitQueue.open(setting.queue);
  const batch = randomUUID();
  const results = new Map<string, UnitResult>();
  const inFlight = new Map<string, {task: UnitTask; attempt: number; outDir: string}>();
  const send = async (task: UnitTask, attempt: number) => {
    const outDir = unitDir({workDir, id: task.id, attempt});
    const id = await queue.send({
      batch,
      task,
      attempt,
      outDir,
      heartbeatMs: setting.heartbeatMs,
      heartbeatTimeoutMs: setting.heartbeatTimeoutMs
    });
    inFlight.set(id, {task, attempt, outDir});
  };
  const retry = async (queueId: string, error: string) => {
    const sent = inFlight.get(queueId)!;
    inFlight.delete(queueId);
    rmSync(sent.outDir, {recursive: true, force: true});
    if (sent.attempt >= setting.maxAttempts) giveUp(sent.task, sent.attempt, error);
    log(`unit ${sent.task.id} attempt ${sent.attempt} failed (${error}); sent again`);
    await send(sent.task, sent.attempt + 1);
  };
  try {
    await queue.dropOrphans();
    for (const task of tasks) await send(task, 1);
    log(`${tasks.length} unit(s) sent to the queue (batch ${batch})`);
    while (inFlight.size) {
      for (const report of await queue.takeReports({batch})) {
        const sent = inFlight.get(report.queueId);
        // A late report of an attempt already taken back: that attempt is settled.
        if (!sent || sent.attempt !== report.attempt) continue;
        if (report.ok) {
          inFlight.delete(report.queueId);
          results.set(sent.task.id, {
            id: sent.task.id,
            output: report.output,
            outDir: sent.outDir,
            attempt: sent.attempt,
            workerId: report.workerId
          });
        } else await retry(report.queueId, report.error ?? "failed");
      }
      for (const lost of await queue.lost({ids: [...inFlight.keys()], timeoutMs: setting.heartbeatTimeoutMs})) {
        await queue.cancel(lost.id);
        await retry(
          lost.id,
          `no heartbeat for ${lost.silentS.toFixed(1)} s (heartbeatTimeoutMs ${setting.heartbeatTimeoutMs}): its worker went silent`
        );
      }
      if (inFlight.size) await new Promise((r) => setTimeout(r, 100));
    }
  } catch (error) {
    for (const id of inFlight.keys()) await queue.cancel(id).catch(() => {});
    throw error;
  } finally {
    await queue.close();
  }
  return results;
}
