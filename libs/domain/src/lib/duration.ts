/** An ISO-8601 duration split into its designators; all parts are non-negative. */
export interface Duration {
  readonly years?: number;
  readonly months?: number;
  readonly weeks?: number;
  readonly days?: number;
  readonly hours?: number;
  readonly minutes?: number;
  readonly seconds?: number;
}

/** Calendar arithmetic in UTC: `P1M` from 31 January is 3 March, as `Date` rolls over. */
export function addDuration(from: Date, d: Duration): Date {
  const t = new Date(from.getTime());
  t.setUTCFullYear(t.getUTCFullYear() + (d.years ?? 0), t.getUTCMonth() + (d.months ?? 0));
  t.setUTCDate(t.getUTCDate() + 7 * (d.weeks ?? 0) + (d.days ?? 0));
  return new Date(
    t.getTime() + (((d.hours ?? 0) * 60 + (d.minutes ?? 0)) * 60 + (d.seconds ?? 0)) * 1000,
  );
}
