import {createHash, createHmac, timingSafeEqual} from "node:crypto";

/** How old a request's Timestamp may be (the MPCB portal's own window). */
export const MAX_PAST_SKEW_MS = 15 * 60_000;
/** How far ahead of the server's clock a Timestamp may be: clock drift, not pre-signed requests. */
export const MAX_FUTURE_SKEW_MS = 60_000;

/**
 * The request digest. MPCB's portal encrypts `site_id`, `software_version_id` and the timestamp
 * with the site's private key; our local stand-in signs HMAC-SHA256 under the site key over those
 * and the request itself: method, path with query, and the SHA-256 of the body, so a captured
 * header pair is worth nothing with another body or on another route. Sent as
 * `Authorization: <siteId>:<softwareVersionId>:<hex digest>` beside a `Timestamp` header (ISO 8601).
 */
export function mpcbDigest({
  siteId,
  softwareVersionId,
  method,
  path,
  timestamp,
  bodySha256,
  key
}: {
  siteId: string;
  softwareVersionId: string;
  method: string;
  path: string;
  timestamp: string;
  bodySha256: string;
  key: string;
}): string {
  return createHmac("sha256", key)
    .update([siteId, softwareVersionId, method.toUpperCase(), path, timestamp, bodySha256].join("\n"))
    .digest("hex");
}

/** The headers that sign one request: `path` is the request's path and query, as sent. */
export function mpcbAuthHeaders({
  siteId,
  softwareVersionId = "2.3",
  key,
  method = "POST",
  path,
  body,
  now = new Date()
}: {
  siteId: string;
  softwareVersionId?: string;
  key: string;
  method?: string;
  path: string;
  body: string | Uint8Array;
  now?: Date;
}): Record<string, string> {
  const timestamp = now.toISOString();
  const bodySha256 = createHash("sha256").update(body).digest("hex");
  const digest = mpcbDigest({siteId, softwareVersionId, method, path, timestamp, bodySha256, key});
  return {Timestamp: timestamp, Authorization: `${siteId}:${softwareVersionId}:${digest}`};
}

export type AuthFailure = {ok: false; status: 401 | 403; reason: string};

/** What the headers claim, checked as far as it can be before the body is read. */
export interface AuthClaim {
  ok: true;
  siteId: string;
  version: string;
  digest: string;
  timestamp: string;
  atMs: number;
  key: string;
}

/** Checks the headers (present, timestamp in the window, site known) before the body is read. */
export function checkMpcbHeaders({
  headers,
  keys,
  now
}: {
  headers: Record<string, string | string[] | undefined>;
  keys: Map<string, string>;
  now: Date;
}): AuthClaim | AuthFailure {
  const authorization = String(headers.authorization ?? "");
  const timestamp = String(headers.timestamp ?? "");
  if (!authorization || !timestamp)
    return {ok: false, status: 401, reason: "missing Authorization or Timestamp header"};
  const [siteId = "", version = "", digest = "", ...extra] = authorization.split(":");
  if (extra.length || !/^[0-9a-f]{64}$/.test(digest))
    return {ok: false, status: 401, reason: "Authorization must be <siteId>:<softwareVersionId>:<hex digest>"};
  const atMs = Date.parse(timestamp);
  if (Number.isNaN(atMs)) return {ok: false, status: 401, reason: `bad Timestamp "${timestamp.slice(0, 40)}"`};
  if (now.getTime() - atMs > MAX_PAST_SKEW_MS)
    return {ok: false, status: 401, reason: "Timestamp is more than 15 minutes old"};
  if (atMs - now.getTime() > MAX_FUTURE_SKEW_MS)
    return {
      ok: false,
      status: 401,
      reason: `Timestamp is more than ${MAX_FUTURE_SKEW_MS / 1000} s ahead of the server's clock`
    };
  const key = keys.get(siteId);
  if (!key) return {ok: false, status: 403, reason: `unknown site "${siteId.slice(0, 40)}"`};
  return {ok: true, siteId, version, digest, timestamp, atMs, key};
}

/** Checks the signature over the request once its body is in. */
export function checkMpcbSignature({
  claim,
  method,
  path,
  body
}: {
  claim: AuthClaim;
  method: string;
  path: string;
  body: Uint8Array;
}): {ok: true} | AuthFailure {
  const bodySha256 = createHash("sha256").update(body).digest("hex");
  const expected = Buffer.from(
    mpcbDigest({
      siteId: claim.siteId,
      softwareVersionId: claim.version,
      method,
      path,
      timestamp: claim.timestamp,
      bodySha256,
      key: claim.key
    }),
    "hex"
  );
  const given = Buffer.from(claim.digest, "hex");
  if (given.length !== expected.length || !timingSafeEqual(expected, given))
    return {ok: false, status: 403, reason: "digest does not match the site key, method, path, timestamp and body"};
  return {ok: true};
}

/**
 * Remembers every accepted signature until its timestamp leaves the window, so each is accepted
 * once: a captured request cannot be replayed. Memory is bounded by the requests of one window.
 */
export class ReplayGuard {
  private readonly seen = new Map<string, number>();
  private nextSweepMs = 0;

  /** True the first time a (site, digest) is offered inside the window; false on a replay. */
  accept({siteId, digest, atMs, nowMs}: {siteId: string; digest: string; atMs: number; nowMs: number}): boolean {
    if (nowMs >= this.nextSweepMs) {
      for (const [id, expiry] of this.seen) if (expiry < nowMs) this.seen.delete(id);
      this.nextSweepMs = nowMs + 10_000;
    }
    const id = `${siteId}\n${digest}`;
    if (this.seen.has(id)) return false;
    this.seen.set(id, atMs + MAX_PAST_SKEW_MS + MAX_FUTURE_SKEW_MS);
    return true;
  }
}
