import { CapsuleError } from './capsule-error';
import { addDuration, Duration } from './duration';
import { Expiry } from './key-capsule';

// RFC 3339 date-time; the offset is optional because DigiDoc4 sends local time without one (taken as UTC).
const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))?$/;

/** Parses an `x-expiry-time` value to epoch milliseconds, or undefined when it is not a date-time. */
export function parseExpiryTime(value: string): number | undefined {
  const m = DATE_TIME.exec(value);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
  const millis = Number((m[7] ?? '0').padEnd(3, '0').slice(0, 3));
  const offsetMinutes = m[9] ? (m[9] === '-' ? -1 : 1) * (Number(m[10]) * 60 + Number(m[11])) : 0;
  if (hour > 23 || minute > 59 || second > 59 || Number(m[10] ?? 0) > 23 || Number(m[11] ?? 0) > 59) {
    return undefined;
  }
  const utc = Date.UTC(year, month - 1, day, hour, minute, second, millis);
  const check = new Date(utc);
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day) {
    return undefined;
  }
  return utc - offsetMinutes * 60_000;
}

/** Whole-second UTC, the only form the server sends: `2027-05-30T03:18:05Z`. */
export function formatExpiryTime(date: Date): string {
  // toISOString always ends in .sssZ.
  return `${date.toISOString().slice(0, -5)}Z`;
}

function wholeSeconds(ms: number): Date {
  return new Date(Math.floor(ms / 1000) * 1000);
}

export class ExpiryPolicy {
  constructor(
    readonly defaultLifetime: Duration,
    readonly maxLifetime: Duration,
  ) {
    const probe = new Date(0);
    if (addDuration(probe, defaultLifetime) > addDuration(probe, maxLifetime)) {
      throw new RangeError('the default capsule lifetime exceeds the maximum lifetime');
    }
  }

  /** The expiry to apply for an optional `x-expiry-time` request header. */
  resolve(requested: string | undefined, now: Date): Expiry {
    const max = wholeSeconds(addDuration(now, this.maxLifetime).getTime());
    if (requested === undefined) {
      return { expiresAt: wholeSeconds(addDuration(now, this.defaultLifetime).getTime()), adjusted: false };
    }
    const ms = parseExpiryTime(requested);
    if (ms === undefined) {
      throw new CapsuleError('invalid_expiry_time', 'x-expiry-time must be an RFC 3339 date-time');
    }
    const expiresAt = wholeSeconds(ms);
    if (expiresAt.getTime() <= now.getTime()) {
      throw new CapsuleError('invalid_expiry_time', 'x-expiry-time must be in the future');
    }
    return expiresAt > max ? { expiresAt: max, adjusted: true } : { expiresAt, adjusted: false };
  }
}
