import JSZip from "jszip";
import {HttpError} from "./http-error.js";

/** More entries than an upload needs (a data file and its metadata) is not an upload. */
const MAX_ENTRIES = 16;

/**
 * Inflates one zip entry as a stream, giving up as soon as the running total passes `capBytes`:
 * a zip bomb costs at most the cap in memory and the time to inflate it, whatever it declares.
 */
function inflateCapped({
  entry,
  capBytes,
  limitBytes
}: {
  entry: JSZip.JSZipObject;
  capBytes: number;
  /** The whole upload's limit, for the message. */
  limitBytes: number;
}): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const stream = entry.nodeStream("nodebuffer");
    stream.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= capBytes) return void chunks.push(chunk);
      (stream as unknown as {destroy(): void}).destroy();
      chunks.length = 0;
      reject(new HttpError(413, `${entry.name} expands past ${limitBytes} bytes, the limit for an upload's contents`));
    });
    stream.on("end", () => resolve(Buffer.concat(chunks)));
    stream.on("error", (error: Error) =>
      reject(new HttpError(400, `${entry.name}: corrupt zip entry (${error.message})`))
    );
  });
}

/**
 * An MPCB upload zip: a data file and a metadata file (*.json), inflated under one size cap for
 * both together.
 */
export async function readUploadZip({
  data,
  name,
  maxUncompressedBytes
}: {
  data: Buffer;
  name: string;
  maxUncompressedBytes: number;
}): Promise<{meta: Record<string, unknown>; metaName: string; dataName: string; text: string}> {
  let zip: JSZip;
  try {
    zip = await JSZip.loadAsync(data);
  } catch {
    throw new HttpError(400, `${name} is not a zip file`);
  }
  const files = Object.values(zip.files).filter((f) => !f.dir);
  if (files.length > MAX_ENTRIES) throw new HttpError(400, `${name} holds ${files.length} files; an upload holds two`);
  const metadata = files.find((f) => f.name.toLowerCase().endsWith(".json"));
  const dataFile = files.find((f) => f !== metadata);
  if (!metadata || !dataFile) throw new HttpError(400, "the zip must hold a data file and a metadata file (*.json)");
  const metaBytes = await inflateCapped({
    entry: metadata,
    capBytes: maxUncompressedBytes,
    limitBytes: maxUncompressedBytes
  });
  let meta: unknown;
  try {
    meta = JSON.parse(metaBytes.toString("utf-8"));
  } catch {
    throw new HttpError(400, `${metadata.name}: not JSON`);
  }
  if (!meta || typeof meta !== "object" || Array.isArray(meta))
    throw new HttpError(400, `${metadata.name}: not a JSON object`);
  const dataBytes = await inflateCapped({
    entry: dataFile,
    capBytes: maxUncompressedBytes - metaBytes.length,
    limitBytes: maxUncompressedBytes
  });
  return {
    meta: meta as Record<string, unknown>,
    metaName: metadata.name,
    dataName: dataFile.name,
    text: dataBytes.toString("utf-8")
  };
}
