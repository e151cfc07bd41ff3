import { summariseLatency } from './latency';

describe('summariseLatency', () => {
  it('gives nearest-rank percentiles and the maximum', () => {
    const samples = Array.from({ length: 1000 }, (_, i) => 1000 - i);
    expect(summariseLatency(samples)).toEqual({ p50: 500, p90: 900, p99: 990, max: 1000 });
  });

  it('reports zeros when nothing succeeded', () => {
    expect(summariseLatency([])).toEqual({ p50: 0, p90: 0, p99: 0, max: 0 });
  });
});
