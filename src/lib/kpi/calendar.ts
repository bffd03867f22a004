/**
 * Holiday calendars for the KPI forecaster's holiday regressor, chosen per dataset
 * (`"holidays"` in dataset.json): `IN` (fixed dates: Republic Day, Independence Day, Gandhi
 * Jayanti, a Diwali-season stand-in on 1 November, Christmas; what the simulator dips on), `US`
 * (the eleven federal holidays, floating ones by their weekday rule, observed days not shifted),
 * `none`, or a file of dates.
 */
import {readTextFile} from "../core/text-file.js";
import {LabError} from "../core/errors.js";

/** A holiday calendar: its name (for cache keys and the docs) and its holidays in a year. */
export interface HolidayCalendar {
  name: string;
  /** The holidays of one year, as ISO days ("2024-01-26"). */
  daysOf(year: number): readonly string[];
}

/** The calendars a dataset may name, by name. */
export const HOLIDAY_CALENDARS = ["IN", "US", "none"] as const;
export type HolidayCalendarName = (typeof HOLIDAY_CALENDARS)[number];

const pad = (n: number) => String(n).padStart(2, "0");
const iso = (y: number, m: number, d: number) => `${String(y).padStart(4, "0")}-${pad(m)}-${pad(d)}`;

/** The day of the `nth` `weekday` (0 = Sunday) of a month; nth −1 is the last. */
function nthWeekday(year: number, month: number, weekday: number, nth: number): string {
  if (nth > 0) {
    const first = new Date(Date.UTC(year, month - 1, 1)).getUTCDay();
    return iso(year, month, 1 + ((weekday - first + 7) % 7) + 7 * (nth - 1));
  }
  const lastDay = new Date(Date.UTC(year, month, 0));
  const back = (lastDay.getUTCDay() - weekday + 7) % 7;
  return iso(year, month, lastDay.getUTCDate() - back);
}

const fixed = (year: number, monthDays: readonly string[]) =>
  monthDays.map((md) => `${String(year).padStart(4, "0")}-${md}`);

/** India: fixed-date public holidays (the simulator's). */
export const IN_HOLIDAYS: readonly string[] = ["01-26", "08-15", "10-02", "11-01", "12-25"];

const CALENDARS: Record<HolidayCalendarName, HolidayCalendar> = {
  IN: {name: "IN", daysOf: (year) => fixed(year, IN_HOLIDAYS)},
  US: {
    name: "US",
    daysOf: (year) =>
      [
        ...fixed(year, ["01-01", "06-19", "07-04", "11-11", "12-25"]),
        nthWeekday(year, 1, 1, 3), // Martin Luther King Jr. Day
        nthWeekday(year, 2, 1, 3), // Washington's Birthday
        nthWeekday(year, 5, 1, -1), // Memorial Day
        nthWeekday(year, 9, 1, 1), // Labor Day
        nthWeekday(year, 10, 1, 2), // Columbus Day
        nthWeekday(year, 11, 4, 4) // Thanksgiving
      ].sort()
  },
  none: {name: "none", daysOf: () => []}
};

/** The default calendar: the one the bundled simulation is made with. */
export const DEFAULT_HOLIDAYS: HolidayCalendar = CALENDARS.IN;

export function namedCalendar(name: HolidayCalendarName): HolidayCalendar {
  return CALENDARS[name];
}

/**
 * A calendar from a text file: one date a line, `YYYY-MM-DD` (that day) or `MM-DD` (every year);
 * blank lines and `#` comments skipped. `file` names it in errors.
 */
export function calendarFromFile({path, file = path}: {path: string; file?: string}): HolidayCalendar {
  const once = new Map<number, string[]>();
  const yearly: string[] = [];
  readTextFile({path, file})
    .split(/\r?\n/)
    .forEach((raw, i) => {
      const line = raw.replace(/#.*/, "").trim();
      if (!line) return;
      const m = /^(?:(\d{4})-)?(\d{2})-(\d{2})$/.exec(line);
      const check = m && new Date(Date.UTC(m[1] ? +m[1] : 2000, +m[2]! - 1, +m[3]!));
      if (!m || !check || check.getUTCMonth() + 1 !== +m[2]! || check.getUTCDate() !== +m[3]!)
        throw new LabError({
          file,
          line: i + 1,
          reason: `not a holiday date: ${JSON.stringify(line)}`,
          hint: "one date a line: YYYY-MM-DD for one day, MM-DD for every year"
        });
      if (!m[1]) yearly.push(`${m[2]}-${m[3]}`);
      else {
        const year = +m[1];
        once.set(year, [...(once.get(year) ?? []), line]);
      }
    });
  return {
    name: `file:${file}`,
    daysOf: (year) => [...fixed(year, yearly), ...(once.get(year) ?? [])].sort()
  };
}

/** Whether an ISO day ("2024-08-15") is a holiday of the calendar. */
export function isHoliday(day: string, calendar: HolidayCalendar = DEFAULT_HOLIDAYS): boolean {
  return calendar.daysOf(Number(day.slice(0, 4))).includes(day.slice(0, 10));
}

/** The calendar's holidays from `first` to `last` (ISO days, inclusive), in order. */
export function holidaysBetween({
  calendar,
  first,
  last
}: {
  calendar: HolidayCalendar;
  first: string;
  last: string;
}): string[] {
  const out: string[] = [];
  for (let y = Number(first.slice(0, 4)); y <= Number(last.slice(0, 4)); y++)
    for (const d of calendar.daysOf(y)) if (d >= first && d <= last) out.push(d);
  return out;
}

/** The ISO day `offset` days after `day`. */
export function addDays(day: string, offset: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + offset * 86_400_000).toISOString().slice(0, 10);
}
