// Hash worker thread: SHA-256 of each file it is sent, read synchronously in 64 KiB chunks (plain
// JavaScript so it starts without the TypeScript loader).
import {createHash} from "node:crypto";
import {closeSync, openSync, readSync} from "node:fs";
import {parentPort} from "node:worker_threads";

const buffer = Buffer.allocUnsafe(65536);
parentPort.on("message", ({id, path}) => {
  let fd;
  try {
    fd = openSync(path, "r");
    const hash = createHash("sha256");
    let size = 0;
    for (;;) {
      const n = readSync(fd, buffer, 0, buffer.length, null);
      if (n === 0) break;
      hash.update(n === buffer.length ? buffer : buffer.subarray(0, n));
      size += n;
    }
    parentPort.postMessage({id, hash: hash.digest("hex"), size});
  } catch (error) {
    parentPort.postMessage({id, error: String(error?.message ?? error)});
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
});
