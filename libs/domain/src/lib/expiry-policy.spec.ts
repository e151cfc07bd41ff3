import { CapsuleError } from './capsule-error';
import { ExpiryPolicy, formatExpiryTime, parseExpiryTime } from './expiry-policy';

const now = new Date('2026-01-15T10:00:00.250Z');
const policy = new ExpiryPolicy({ days: 1095 }, { days: 1825 });

describe('parseExpiryTime', () => {
  it.each([
    ['2027-05-30T03:18:05Z', '2027-05-30T03:18:05.000Z'],
    ['2027-05-30T03:18:05.123456789Z', '2027-05-30T03:18:05.123Z'],
    ['2027-05-30T03:18:05.5Z', '2027-05-30T03:18:05.500Z'],
    ['2027-05-30T03:18:05+02:00', '2027-05-30T01:18:05.000Z'],
    ['2027-05-30T03:18:05-05:30', '2027-05-30T08:48:05.000Z'],
    ['2027-05-30T03:18:05', '2027-05-30T03:18:05.000Z'],
    ['2027-05-30T03:18:05.120', '2027-05-30T03:18:05.120Z'],
    ['2027-05-30t03:18:05z', '2027-05-30T03:18:05.000Z'],
    ['2028-02-29T00:00:00Z', '2028-02-29T00:00:00.000Z'],
  ])('reads %s as %s', (value, iso) => {
    expect(new Date(parseExpiryTime(value)!).toISOString()).toBe(iso);
  });

  it.each([
    '',
    'tomorrow',
    '2027-05-30',
    '2027-05-30T03:18',
    '2027-13-01T00:00:00Z',
    '2027-02-29T00:00:00Z',
    '2027-05-30T24:00:00Z',
    '2027-05-30T03:60:00Z',
    '2027-05-30T03:18:05.1234567890Z',
    '2027-05-30T03:18:05+2:00',
    '2027-05-30T03:18:05+24:00',
    '1717000000',
    ' 2027-05-30T03:18:05Z',
  ])('rejects %j', (value) => {
    expect(parseExpiryTime(value)).toBeUndefined();
  });
});

describe('formatExpiryTime', () => {
  it('prints whole-second UTC with Z', () => {
    expect(formatExpiryTime(new Date('2027-05-30T03:18:05.000Z'))).toBe('2027-05-30T03:18:05Z');
  });
});

describe('ExpiryPolicy', () => {
  it('applies the default lifetime when no expiry is requested', () => {
    expect(policy.resolve(undefined, now)).toEqual({ expiresAt: new Date('2029-01-14T10:00:00Z'), adjusted: false });
  });

  it('keeps a requested expiry within the maximum, cut to whole seconds', () => {
    expect(policy.resolve('2026-07-01T12:00:00.999+03:00', now)).toEqual({
      expiresAt: new Date('2026-07-01T09:00:00Z'),
      adjusted: false,
    });
  });

  it('keeps an expiry exactly at the maximum unadjusted', () => {
    expect(policy.resolve('2031-01-14T10:00:00Z', now)).toEqual({ expiresAt: new Date('2031-01-14T10:00:00Z'), adjusted: false });
  });

  it('clamps an expiry beyond the maximum and says so', () => {
    expect(policy.resolve('2099-01-01T00:00:00Z', now)).toEqual({ expiresAt: new Date('2031-01-14T10:00:00Z'), adjusted: true });
  });

  it.each(['2026-01-15T10:00:00Z', '2026-01-15T10:00:00.9Z', '2020-01-01T00:00:00Z', 'soon'])('refuses %s', (value) => {
    expect(() => policy.resolve(value, now)).toThrow(CapsuleError);
  });

  it('refuses a default lifetime longer than the maximum', () => {
    expect(() => new ExpiryPolicy({ days: 10 }, { weeks: 1 })).toThrow(RangeError);
  });
});
