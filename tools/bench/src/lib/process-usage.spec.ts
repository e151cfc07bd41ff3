import { machineTicks } from './process-usage';

describe('machineTicks', () => {
  it('adds up the first eight fields of the all-CPU line and takes steal from the eighth', () => {
    const stat = ['cpu  40783 7 26055 253512 19301 0 3294 4429 120 0', 'cpu0 20000 3 13000 126000 9000 0 1600 2200 60 0', 'intr 123'].join('\n');
    // guest (120) is already counted in user, so it is left out
    expect(machineTicks(stat)).toEqual({ total: 40783 + 7 + 26055 + 253512 + 19301 + 0 + 3294 + 4429, steal: 4429 });
  });

  it('reads this machine', () => {
    const { total, steal } = machineTicks();
    expect(total).toBeGreaterThan(0);
    expect(steal).toBeGreaterThanOrEqual(0);
    expect(steal).toBeLessThanOrEqual(total);
  });
});
