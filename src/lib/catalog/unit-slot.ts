/**
 * One thread that runs units one after another, with a watchdog: a unit whose thread is silent
 * for the heartbeat timeout (a handler stuck without yielding) fails that attempt and the thread
 * is replaced. Local runs and `lab worker` both run units through it.
 */
import type {Worker} from "node:worker_threads";
import {startWorker} from "../core/worker.js";
import type {RunUnitMessage, UnitReply} from "./unit-thread.js";
import type {UnitTask} from "./units.js";

export type UnitOutcome = {ok: true; output: unknown} | {ok: false; error: string};

export class UnitSlot {
  private worker: Worker;
  /** It has loaded: its start-up (up to a minute, loading TypeScript) is not held against a unit. */
  private ready = false;
  private runs = 0;

  constructor() {
    this.worker = this.start();
  }

  private start(): Worker {
    this.ready = false;
    const worker = startWorker({module: new URL("./unit-thread.ts", import.meta.url)});
    worker.once("message", () => (this.ready = true));
    return worker;
  }

  /** Runs one unit into `outDir`; `onBeat` at each heartbeat (the queue turns them into rows). */
  run({
    task,
    outDir,
    heartbeatMs,
    heartbeatTimeoutMs,
    onBeat = () => {},
    log = () => {}
  }: {
    task: UnitTask;
    outDir: string;
    heartbeatMs: number;
    heartbeatTimeoutMs: number;
    onBeat?: () => void;
    log?: (line: string) => void;
  }): Promise<UnitOutcome> {
    const runId = ++this.runs;
    const worker = this.worker;
    return new Promise((resolve) => {
      let beatAt = performance.now();
      const settle = (outcome: UnitOutcome, replace = false) => {
        clearInterval(watchdog);
        clearInterval(starting);
        worker.off("message", onMessage).off("error", onError).off("exit", onExit);
        if (replace) (void worker.terminate().catch(() => {}), (this.worker = this.start()));
        resolve(outcome);
      };
      const watchdog = setInterval(
        () => {
          const silent = performance.now() - beatAt;
          if (silent > (this.ready ? heartbeatTimeoutMs : Math.max(heartbeatTimeoutMs, 60_000)))
            settle(
              {
                ok: false,
                error: `no heartbeat for ${(silent / 1000).toFixed(1)} s (heartbeatTimeoutMs ${heartbeatTimeoutMs}): its thread was stopped`
              },
              true
            );
        },
        Math.max(10, Math.min(heartbeatMs, heartbeatTimeoutMs / 4))
      );
      const onMessage = (reply: UnitReply) => {
        if (reply.type === "ready") return void (beatAt = performance.now());
        if (reply.runId !== runId) return;
        beatAt = performance.now();
        if (reply.type === "heartbeat") onBeat();
        else if (reply.type === "log") log(reply.line);
        else if (reply.type === "done") settle({ok: true, output: reply.output});
        else settle({ok: false, error: reply.error});
      };
      const onError = (error: Error) => settle({ok: false, error: `unit thread crashed: ${error.message}`}, true);
      const onExit = (code: number) => settle({ok: false, error: `unit thread exited with code ${code}`}, true);
      worker.on("message", onMessage).on("error", onError).on("exit", onExit);
      // A thread still loading beats for itself from here: its start-up is not the unit's silence.
      const starting = setInterval(() => !this.ready && onBeat(), heartbeatMs);
      onBeat();
      worker.postMessage({type: "run", runId, task, outDir, heartbeatMs} satisfies RunUnitMessage);
    });
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}
