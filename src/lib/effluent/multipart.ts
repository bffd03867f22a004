import {LabError} from "../core/errors.js";

export interface FormPart {
  name: string;
  filename?: string;
  contentType?: string;
  data: Buffer;
}

/** Parses a multipart/form-data body (RFC 7578) into its parts. */
export function parseMultipart({body, contentType}: {body: Buffer; contentType: string}): FormPart[] {
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType);
  if (!boundary) throw new LabError({reason: "multipart/form-data without a boundary"});
  const delimiter = Buffer.from(`--${boundary[1] ?? boundary[2]}`);
  const parts: FormPart[] = [];
  let start = body.indexOf(delimiter);
  if (start < 0) throw new LabError({reason: "multipart body has no parts"});
  for (;;) {
    start += delimiter.length;
    if (body.subarray(start, start + 2).toString() === "--") break; // closing delimiter
    if (body.subarray(start, start + 2).toString() === "\r\n") start += 2;
    const next = body.indexOf(delimiter, start);
    if (next < 0) throw new LabError({reason: "multipart body is truncated (no closing boundary)"});
    const part = body.subarray(start, next - 2); // strip the CRLF before the delimiter
    const headerEnd = part.indexOf("\r\n\r\n");
    if (headerEnd < 0) throw new LabError({reason: "multipart part without headers"});
    const headers = part.subarray(0, headerEnd).toString("utf-8");
    const disposition = /content-disposition:[^\r\n]*name="([^"]*)"(?:; *filename="([^"]*)")?/i.exec(headers);
    if (!disposition) throw new LabError({reason: "multipart part without a Content-Disposition name"});
    parts.push({
      name: disposition[1]!,
      filename: disposition[2],
      contentType: /content-type: *([^\r\n]+)/i.exec(headers)?.[1],
      data: part.subarray(headerEnd + 4)
    });
    start = next;
  }
  return parts;
}
