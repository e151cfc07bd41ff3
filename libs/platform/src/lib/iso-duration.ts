import { Duration } from '@ccs/domain';

const ISO_DURATION = /^P(?!$)(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?=\d)(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;

/** `P1095D`, `PT5M`, `P1Y2M`, `PT0.5S`; undefined for anything else. */
export function parseIsoDuration(text: string): Duration | undefined {
  const m = ISO_DURATION.exec(text);
  if (!m) return undefined;
  const [years, months, weeks, days, hours, minutes, seconds] = m.slice(1).map((v) => (v === undefined ? 0 : Number(v)));
  return { years, months, weeks, days, hours, minutes, seconds };
}

/** Milliseconds of a duration without calendar parts (for timeouts and intervals). */
export function durationMillis(d: Duration): number | undefined {
  if (d.years || d.months) return undefined;
  return ((((d.weeks ?? 0) * 7 + (d.days ?? 0)) * 24 + (d.hours ?? 0)) * 60 + (d.minutes ?? 0)) * 60_000 + (d.seconds ?? 0) * 1000;
}
