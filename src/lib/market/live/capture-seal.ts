import {createCipheriv, createDecipheriv, randomBytes} from "node:crypto";

/**
 * Encrypted capture files, sealed a chunk at a time so that a killed capture's partial can be
 * recovered up to its last sealed chunk (one AES-GCM tag over a whole file authenticates nothing
 * until the file is closed). Layout: "LABENC2\n", a 16-byte file id, then chunks of
 * [ciphertext length: u32 BE][12-byte IV][ciphertext][16-byte tag], each authenticated with the
 * file id, its index and whether it is the last as associated data — chunks cannot be reordered,
 * moved between files or cut off the end of a finished file unnoticed.
 */
export const SEALED_MAGIC = Buffer.from("LABENC2\n");
const HEADER = SEALED_MAGIC.length + 16;

export function sealedHeader(fileId: Buffer): Buffer {
  return Buffer.concat([SEALED_MAGIC, fileId]);
}

function associated(fileId: Buffer, index: number, final: boolean): Buffer {
  const aad = Buffer.alloc(21);
  fileId.copy(aad, 0);
  aad.writeUInt32BE(index, 16);
  aad[20] = final ? 1 : 0;
  return aad;
}

export function sealChunk({
  key,
  fileId,
  index,
  final,
  plain
}: {
  key: Buffer;
  fileId: Buffer;
  index: number;
  final: boolean;
  plain: Buffer;
}): Buffer {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  cipher.setAAD(associated(fileId, index, final));
  const body = Buffer.concat([cipher.update(plain), cipher.final()]);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(body.length);
  return Buffer.concat([length, iv, body, cipher.getAuthTag()]);
}

/** A whole sealed file (one final chunk) holding `plain`. */
export function sealFile({key, plain}: {key: Buffer; plain: Buffer}): Buffer {
  const fileId = randomBytes(16);
  return Buffer.concat([sealedHeader(fileId), sealChunk({key, fileId, index: 0, final: true, plain})]);
}

/**
 * The plaintext of the chunks that authenticate, in order, up to the first that does not (or is
 * cut short). `complete`: the file ends exactly with its final chunk; `chunks`: how many opened.
 */
export function openSealed({bytes, key}: {bytes: Buffer; key: Buffer}): {
  plain: Buffer;
  chunks: number;
  complete: boolean;
} {
  const fileId = bytes.subarray(SEALED_MAGIC.length, HEADER);
  const parts: Buffer[] = [];
  let at = HEADER,
    index = 0;
  while (at + 4 + 12 + 16 <= bytes.length) {
    const length = bytes.readUInt32BE(at);
    const end = at + 4 + 12 + length + 16;
    if (end > bytes.length) break;
    const iv = bytes.subarray(at + 4, at + 16);
    const body = bytes.subarray(at + 16, at + 16 + length);
    const tag = bytes.subarray(at + 16 + length, end);
    let plain: Buffer | undefined;
    for (const final of [false, true]) {
      try {
        const decipher = createDecipheriv("aes-256-gcm", key, iv);
        decipher.setAAD(associated(fileId, index, final));
        decipher.setAuthTag(tag);
        plain = Buffer.concat([decipher.update(body), decipher.final()]);
      } catch {
        continue;
      }
      parts.push(plain);
      index++;
      at = end;
      if (final) return {plain: Buffer.concat(parts), chunks: index, complete: at === bytes.length};
      break;
    }
    if (!plain) break;
  }
  return {plain: Buffer.concat(parts), chunks: index, complete: false};
}
