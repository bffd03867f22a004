// A replay worker thread: reconstructs one symbol per message (see multi.ts).
import {parentPort} from "node:worker_threads";
import {reconstructMarket, type ReconstructOptions} from "./reconstruct.js";

parentPort!.on("message", async (job: {id: number; options: Omit<ReconstructOptions, "log" | "onEvent">}) => {
  try {
    const result = await reconstructMarket({
      ...job.options,
      log: (line) => parentPort!.postMessage({id: job.id, log: line})
    });
    parentPort!.postMessage({id: job.id, result});
  } catch (error) {
    parentPort!.postMessage({id: job.id, error: (error as Error).message});
  }
});
