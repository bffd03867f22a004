import {createHmac, timingSafeEqual} from "node:crypto";

/**
 * The request digest. MPCB's portal encrypts `site_id`, `software_version_id` and the timestamp
 * with the site's private key; our local stand-in signs the same three fields with HMAC-SHA256
 * under the site key, sent as `Authorization: <siteId>:<softwareVersionId>:<hex digest>` beside
 * a `Timestamp` header (ISO 8601), which must be within 15 minutes of the server's clock.
 */
export function mpcbDigest({
  siteId,
  softwareVersionId,
  timestamp,
  key
}: {
  siteId: string;
  softwareVersionId: string;
  timestamp: string;
  key: string;
}): string {
  return createHmac("sha256", key).update(`${siteId}|${softwareVersionId}|${timestamp}`).digest("hex");
}

export function mpcbAuthHeaders({
  siteId,
  softwareVersionId = "2.3",
  key,
  now = new Date()
}: {
  siteId: string;
  softwareVersionId?: string;
  key: string;
  now?: Date;
}): Record<string, string> {
  const timestamp = now.toISOString();
  return {
    Timestamp: timestamp,
    Authorization: `${siteId}:${softwareVersionId}:${mpcbDigest({siteId, softwareVersionId, timestamp, key})}`
  };
}

export type AuthResult = {ok: true; siteId: string} | {ok: false; status: 401 | 403; reason: string};

/** Checks the headers of a request against the known sites' keys. */
export function checkMpcbAuth({
  headers,
  keys,
  now,
  maxSkewMs = 15 * 60_000
}: {
  headers: Record<string, string | string[] | undefined>;
  keys: Map<string, string>;
  now: Date;
  maxSkewMs?: number;
}): AuthResult {
  const authorization = String(headers.authorization ?? "");
  const timestamp = String(headers.timestamp ?? "");
  const [siteId = "", version = "", digest = ""] = authorization.split(":");
  if (!authorization || !timestamp)
    return {ok: false, status: 401, reason: "missing Authorization or Timestamp header"};
  const at = Date.parse(timestamp);
  if (Number.isNaN(at)) return {ok: false, status: 401, reason: `bad Timestamp "${timestamp}"`};
  if (Math.abs(now.getTime() - at) > maxSkewMs)
    return {ok: false, status: 401, reason: "Timestamp is more than 15 minutes away from the server's clock"};
  const key = keys.get(siteId);
  if (!key) return {ok: false, status: 403, reason: `unknown site "${siteId}"`};
  const expected = Buffer.from(mpcbDigest({siteId, softwareVersionId: version, timestamp, key}));
  const given = Buffer.from(digest);
  if (expected.length !== given.length || !timingSafeEqual(expected, given))
    return {ok: false, status: 403, reason: "digest does not match the site key"};
  return {ok: true, siteId};
}
