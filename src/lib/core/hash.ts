import {createHash} from "node:crypto";
import {open} from "node:fs/promises";

/** SHA-256 of a file, read in fixed chunks (64 KiB by default) so memory stays flat. */
export async function sha256File({path, chunkBytes = 65536}: {path: string; chunkBytes?: number}): Promise<string> {
  const hash = createHash("sha256");
  const handle = await open(path, "r");
  try {
    const buffer = Buffer.allocUnsafe(chunkBytes);
    for (;;) {
      const {bytesRead} = await handle.read(buffer, 0, chunkBytes, null);
      if (bytesRead === 0) break;
      hash.update(buffer.subarray(0, bytesRead));
    }
  } finally {
    await handle.close();
  }
  return hash.digest("hex");
}

export function sha256Text(text: string | Uint8Array): string {
  return createHash("sha256").update(text).digest("hex");
}
