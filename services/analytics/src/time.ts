/** Days are counted in Asia/Kolkata (UTC+05:30, no daylight saving), as the scheduler does. */
const IST_OFFSET_MS = 330 * 60_000;
const DAY_MS = 86_400_000;

/** The Asia/Kolkata calendar date (YYYY-MM-DD) of an instant. */
export function kolkataDate(at: Date): string {
  return new Date(at.getTime() + IST_OFFSET_MS).toISOString().slice(0, 10);
}

/** The instant an Asia/Kolkata calendar date begins. */
export function kolkataDayStart(date: string): Date {
  return new Date(Date.parse(`${date}T00:00:00.000Z`) - IST_OFFSET_MS);
}

/** Whether a string is a real calendar date YYYY-MM-DD. */
export function isCalendarDate(value: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const t = Date.parse(`${value}T00:00:00.000Z`);
  return !Number.isNaN(t) && new Date(t).toISOString().slice(0, 10) === value;
}

/** The Asia/Kolkata days that overlap the period [from, to), in order. */
export function kolkataDaysIn(from: Date, to: Date): string[] {
  if (to.getTime() <= from.getTime()) return [];
  const days: string[] = [];
  const last = kolkataDate(new Date(to.getTime() - 1));
  for (let d = kolkataDate(from); d <= last;) {
    days.push(d);
    d = new Date(Date.parse(`${d}T00:00:00.000Z`) + DAY_MS).toISOString().slice(0, 10);
  }
  return days;
}
