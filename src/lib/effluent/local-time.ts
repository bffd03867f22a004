/**
 * Local wall-clock times as sites write them (`2024-03-01 05:30`, `01-03-2024 05:30`,
 * `01/03/2024 05:30:00`) in a site's time zone (an IANA name such as `Asia/Kolkata`, `UTC`, or a
 * fixed offset `+05:30`), to UTC Dates.
 */
import {isFixedOffset, zoneOffset} from "../core/time-zone.js";

/** Parses one time text: the UTC Date, or why it is not a time (for the quarantine). */
export type TimeParser = (text: string) => Date | string;

const TOKENS: Record<string, string> = {YYYY: "(\\d{4})", MM: "(\\d{1,2})", DD: "(\\d{1,2})", HH: "(\\d{1,2})"};
const FIELD_OF: Record<string, "y" | "mo" | "d" | "h" | "mi" | "s"> = {
  YYYY: "y",
  MM: "mo",
  DD: "d",
  HH: "h",
  mm: "mi",
  ss: "s"
};

/** Why a format string cannot be used, or undefined when it can (for the dataset.json check). */
export function timeFormatProblem(format: string): string | undefined {
  const tokens: string[] = format.match(/YYYY|MM|DD|HH|mm|ss/g) ?? [];
  for (const need of ["YYYY", "MM", "DD", "HH", "mm"]) if (!tokens.includes(need)) return `"${format}" has no ${need}`;
  if (new Set(tokens).size !== tokens.length) return `"${format}" repeats a part`;
  return undefined;
}

/** A compiled format: the regex and which group holds which part. */
function compileFormat(format: string): {re: RegExp; order: ("y" | "mo" | "d" | "h" | "mi" | "s")[]} {
  const order: ("y" | "mo" | "d" | "h" | "mi" | "s")[] = [];
  let source = "";
  for (const part of format.split(/(YYYY|MM|DD|HH|mm|ss)/)) {
    if (!part) continue;
    const field = FIELD_OF[part];
    if (field) {
      order.push(field);
      source += TOKENS[part] ?? "(\\d{2})";
    } else source += part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace(/ /g, "[ T]");
  }
  // Seconds are optional when the format has none: loggers add them now and then.
  if (!order.includes("s")) {
    source += "(?::(\\d{2}))?";
    order.push("s");
  }
  return {re: new RegExp(`^${source}$`), order};
}

/** Why a time zone cannot be used, or undefined when it can. */
export function timeZoneProblem(timeZone: string): string | undefined {
  if (timeZone === "UTC" || isFixedOffset(timeZone)) return undefined;
  try {
    new Intl.DateTimeFormat("en-US", {timeZone});
    return undefined;
  } catch {
    return `"${timeZone}" is not a time zone`;
  }
}

/** The UTC offset (minutes) of a zone at an instant: for writing local times back out. */
export function utcOffsetAt({timeZone, at}: {timeZone: string; at: Date}): number {
  return zoneOffset(timeZone)(at.getTime());
}

/**
 * A parser for times written in `format` (tokens YYYY MM DD HH mm ss; a space also matches `T`;
 * seconds may follow when the format has none) at `timeZone`.
 */
export function timeParser({format, timeZone}: {format: string; timeZone: string}): TimeParser {
  const {re, order} = compileFormat(format);
  const offsetAt = zoneOffset(timeZone);
  return (text) => {
    const m = re.exec(text.trim());
    if (!m) return `bad time "${text}": expected ${format}`;
    const v = {y: 0, mo: 0, d: 0, h: 0, mi: 0, s: 0};
    order.forEach((field, i) => (v[field] = m[i + 1] === undefined ? 0 : Number(m[i + 1])));
    // setUTCFullYear, not Date.UTC: Date.UTC reads the years 0–99 as 1900–1999.
    const wall = new Date(Date.UTC(2000, 0, 1, v.h, v.mi, v.s));
    wall.setUTCFullYear(v.y, v.mo - 1, v.d);
    if (wall.getUTCMonth() !== v.mo - 1 || wall.getUTCDate() !== v.d || v.h > 23 || v.mi > 59 || v.s > 59)
      return `impossible time "${text}" (read as ${format})`;
    const guess = wall.getTime() - offsetAt(wall.getTime()) * 60_000;
    return new Date(wall.getTime() - offsetAt(guess) * 60_000);
  };
}
