import { durationMillis, parseIsoDuration } from './iso-duration';

it.each([
  ['P1095D', { days: 1095 }],
  ['PT5M', { minutes: 5 }],
  ['P1Y2M3W4DT5H6M7.5S', { years: 1, months: 2, weeks: 3, days: 4, hours: 5, minutes: 6, seconds: 7.5 }],
])('parses %s', (text, expected) => {
  expect(parseIsoDuration(text)).toMatchObject(expected);
});

it.each(['', 'P', 'PT', '1095D', 'P-1D', 'P1.5D', 'PT5', 'p1d', 'P1DT'])('rejects %j', (text) => {
  expect(parseIsoDuration(text)).toBeUndefined();
});

it('turns durations without calendar parts into milliseconds', () => {
  expect(durationMillis({ days: 1, hours: 1, seconds: 0.5 })).toBe(90_000_500);
  expect(durationMillis({ years: 1 })).toBeUndefined();
});
