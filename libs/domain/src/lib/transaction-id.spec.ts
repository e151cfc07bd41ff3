import { hasValidTransactionIdLength, newTransactionId } from './transaction-id';

it('makes KC and 32 lowercase hex digits, different every time, across refills of its random pool', () => {
  const ids = Array.from({ length: 5000 }, newTransactionId);
  for (const id of ids) expect(id).toMatch(/^KC[0-9a-f]{32}$/);
  expect(new Set(ids).size).toBe(ids.length);
});

it('admits ids of 18 to 34 characters, as the API does', () => {
  expect(hasValidTransactionIdLength('K'.repeat(17))).toBe(false);
  expect(hasValidTransactionIdLength('K'.repeat(18))).toBe(true);
  expect(hasValidTransactionIdLength(newTransactionId())).toBe(true);
  expect(hasValidTransactionIdLength('K'.repeat(35))).toBe(false);
});
