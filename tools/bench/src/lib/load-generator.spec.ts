import { certificateChainPem, generateTestPki } from '@ccs/test-pki';
import { once } from 'node:events';
import { createServer, Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { generateLoad, RequestKind } from './load-generator';

const cpuMs = (usage: NodeJS.CpuUsage) => (usage.user + usage.system) / 1000;

describe('generateLoad', () => {
  let server: Server;
  let ca: string;
  let connections = 0;
  let received = 0;

  beforeAll(async () => {
    const pki = await generateTestPki({ clientKeys: [] });
    ca = pki.rootCa.certificate.pem;
    server = createServer({ cert: certificateChainPem(pki.server), key: pki.server.privateKey.pem, minVersion: 'TLSv1.3' }, (request, response) => {
      received++;
      if (request.url === '/slow') setTimeout(() => response.end('{}'), 30);
      else response.end('{}');
    });
    server.on('secureConnection', () => connections++);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
  });

  afterAll(() => server.close());

  const kind = (): RequestKind => ({ name: 'get', port: (server.address() as AddressInfo).port, method: 'GET', path: () => '/', expectedStatus: 200 });

  it.each([
    ['closed', undefined],
    ['open', 50],
  ])('counts nothing of the warm-up and keeps its keep-alive connections for the measurement (%s model)', async (_model, ratePerSecond) => {
    connections = 0;
    received = 0;
    let connectionsWhenMeasuring: number | undefined;
    let receivedWhenMeasuring = 0;
    const result = await generateLoad([kind()], { connection: 'keep-alive', concurrency: 4, ratePerSecond, warmupMs: 400, durationMs: 400, maxRequests: 100_000, ca }, () => {
      connectionsWhenMeasuring = connections;
      receivedWhenMeasuring = received;
    });
    expect(result.errors).toEqual({});
    expect(receivedWhenMeasuring).toBeGreaterThan(0);
    expect(result.ok).toBe(result.requests);
    // Requests before the measurement are not in it; every connection was opened during the warm-up.
    expect(result.ok).toBeLessThanOrEqual(received - receivedWhenMeasuring + 4);
    // The warm-up opened all four connections, and the measurement opened none.
    expect(connectionsWhenMeasuring).toBe(4);
    expect(connections).toBe(connectionsWhenMeasuring);
    expect(result.newConnections).toBe(0);
    expect(result.elapsedSeconds).toBeGreaterThanOrEqual(0.4);
    expect(result.elapsedSeconds).toBeLessThan(5);
  });

  it('summarises the latency of each request kind of a mixed load apart', async () => {
    const slow = { ...kind(), name: 'slow', path: () => '/slow' };
    const result = await generateLoad([kind(), slow], { connection: 'keep-alive', concurrency: 2, ratePerSecond: 100, warmupMs: 100, durationMs: 600, maxRequests: 100_000, ca });
    expect(result.errors).toEqual({});
    expect(Object.keys(result.latencyMsByKind)).toEqual(['get', 'slow']);
    // The server answers /slow 30 ms late: that kind alone carries the tail.
    expect(result.latencyMsByKind.slow.p50).toBeGreaterThanOrEqual(30);
    expect(result.latencyMsByKind.get.p50).toBeLessThan(30);
    expect(result.latencyMs.max).toBe(Math.max(result.latencyMsByKind.get.max, result.latencyMsByKind.slow.max));
  });

  it('counts the connections it opens during the measurement: one per request without keep-alive', async () => {
    connections = 0;
    let connectionsWhenMeasuring = 0;
    const result = await generateLoad([kind()], { connection: 'close', concurrency: 2, warmupMs: 200, durationMs: 300, maxRequests: 100_000, ca }, () => {
      connectionsWhenMeasuring = connections;
    });
    expect(result.errors).toEqual({});
    expect(result.ok).toBeGreaterThan(0);
    // Requests begun during the warm-up may connect after it; none is counted twice.
    expect(result.newConnections).toBeGreaterThanOrEqual(result.ok);
    expect(result.newConnections).toBeLessThanOrEqual(connections - connectionsWhenMeasuring + 2);
  });

  it('counts the connection of a request due after the warm-up even when the warm-up timer has not run yet', async () => {
    let measuringCalls = 0;
    let first = true;
    // The first answer is checked until the warm-up is over: the next request is then due after it and
    // is sent from that same callback, before the event loop gets to the warm-up's timer.
    const stalling: RequestKind = {
      ...kind(),
      check: () => {
        if (first) {
          first = false;
          const until = performance.now() + 150;
          while (performance.now() < until) {
            // busy past the warm-up
          }
        }
        return undefined;
      },
    };
    const result = await generateLoad([stalling], { connection: 'close', concurrency: 1, warmupMs: 50, durationMs: 200, maxRequests: 100_000, ca }, () => measuringCalls++);
    expect(result.errors).toEqual({});
    expect(result.ok).toBeGreaterThan(0);
    expect(result.newConnections).toBe(result.ok);
    expect(measuringCalls).toBe(1);
  });

  it("reports the generator's own CPU per answered request", async () => {
    // Each answer's check spends 3 ms of this process's CPU time (not of the clock, which a busy machine stretches).
    const costly: RequestKind = {
      ...kind(),
      check: () => {
        const from = process.cpuUsage();
        while (cpuMs(process.cpuUsage(from)) < 3) {
          // the generator's own work per request
        }
        return undefined;
      },
    };
    const result = await generateLoad([costly], { connection: 'keep-alive', concurrency: 2, warmupMs: 100, durationMs: 300, maxRequests: 100_000, ca });
    expect(result.errors).toEqual({});
    expect(result.ok).toBeGreaterThan(0);
    expect(result.generatorCpuMsPerRequest).toBeGreaterThanOrEqual(3);
    expect(result.generatorCpuMsPerRequest).toBeLessThan(50);
  });

  it("reports how long the generator's own event loop was held up during the measurement", async () => {
    const result = await generateLoad([kind()], { connection: 'keep-alive', concurrency: 2, ratePerSecond: 200, warmupMs: 100, durationMs: 500, maxRequests: 100_000, ca }, () => {
      setTimeout(() => {
        const until = performance.now() + 150;
        while (performance.now() < until) {
          // the generator is busy, as a garbage collection or a starved process would be
        }
      }, 100);
    });
    expect(result.errors).toEqual({});
    expect(result.generatorLagMs.max).toBeGreaterThanOrEqual(140);
    expect(result.generatorLagMs.p99).toBeLessThanOrEqual(result.generatorLagMs.max);
  });
});
