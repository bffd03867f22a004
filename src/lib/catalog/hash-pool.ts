import {Worker} from "node:worker_threads";

export interface HashResult {
  path: string;
  hash?: string;
  size?: number;
  error?: string;
}

/** SHA-256 of many files on a pool of worker threads (one per core by default). */
export async function hashFiles({
  paths,
  threads,
  onHashed
}: {
  paths: string[];
  threads: number;
  onHashed?: (result: HashResult) => void;
}): Promise<Map<string, HashResult>> {
  const results = new Map<string, HashResult>();
  if (!paths.length) return results;
  const workers = Array.from(
    {length: Math.max(1, Math.min(threads, paths.length))},
    () => new Worker(new URL("./hash-worker.mjs", import.meta.url))
  );
  let next = 0;
  try {
    await Promise.all(
      workers.map(
        (worker) =>
          new Promise<void>((resolve, reject) => {
            const send = () => {
              if (next >= paths.length) return resolve();
              const id = next++;
              worker.postMessage({id, path: paths[id]});
            };
            worker.on("message", (message: {id: number; hash?: string; size?: number; error?: string}) => {
              const result = {path: paths[message.id]!, hash: message.hash, size: message.size, error: message.error};
              results.set(result.path, result);
              onHashed?.(result);
              send();
            });
            worker.on("error", reject);
            send();
          })
      )
    );
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return results;
}
