// The first module of a worker thread started by `startWorker` (worker.ts) on TypeScript: worker
// threads do not inherit the TypeScript loader, so register it here, then load the module whose
// URL `startWorker` put last among the thread's arguments (taken off, so the module sees the
// arguments it was given).
import {register} from "tsx/esm/api";

const module = process.argv.pop();
register();
await import(module);
