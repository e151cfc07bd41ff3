import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { longTasks, originOf, summariseProfile } from './profile-summary';

describe('originOf', () => {
  it('names packages, Node modules, the app bundle and V8 pseudo-frames', () => {
    expect(originOf('file:///w/node_modules/@nestjs/core/router/x.js', 'f')).toBe('@nestjs/core');
    expect(originOf('/w/node_modules/pino/lib/proto.js', 'f')).toBe('pino');
    expect(originOf('node:internal/streams/readable', 'f')).toBe('node:internal');
    expect(originOf('file:///w/dist/apps/recipient/main.js', 'get')).toBe('ccs app bundle');
    expect(originOf('', '(garbage collector)')).toBe('(garbage collector)');
  });
});

describe('summariseProfile', () => {
  it('shares self time among origins without the idle samples, and counts inclusive time up the stack', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ccs-profile-'));
    const frame = (id: number, functionName: string, url: string, hitCount: number, children: number[] = []) => ({
      id,
      callFrame: { functionName, url, lineNumber: 0 },
      hitCount,
      children,
    });
    const path = join(dir, 'p.cpuprofile');
    writeFileSync(
      path,
      JSON.stringify({
        startTime: 0,
        endTime: 1,
        nodes: [
          frame(1, '(root)', '', 0, [2, 3]),
          frame(2, '(idle)', '', 50),
          frame(3, 'handle', '/w/node_modules/router/index.js', 10, [4]),
          frame(4, 'query', '/w/node_modules/typeorm/x.js', 30),
        ],
      }),
    );
    try {
      const summary = summariseProfile(path, 5, [/^handle$/]);
      expect(summary.busySamples).toBe(40);
      expect(summary.byOrigin).toEqual([
        { name: 'typeorm', selfPercent: 75 },
        { name: 'router', selfPercent: 25 },
      ]);
      expect(summary.inclusive).toEqual([{ name: '^handle$', selfPercent: 100 }]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('longTasks', () => {
  it('finds the stretches without an idle sample that last at least the given time, with what took them', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ccs-profile-'));
    const frame = (id: number, functionName: string, url = '') => ({ id, callFrame: { functionName, url, lineNumber: 0 } });
    const path = join(dir, 'p.cpuprofile');
    // Samples 1 ms apart: idle, 3 busy (too short), idle, 6 busy (4 checkpoint, 2 handler), idle.
    const samples = [1, 2, 2, 3, 1, 4, 4, 4, 4, 3, 3, 1];
    writeFileSync(
      path,
      JSON.stringify({
        startTime: 0,
        endTime: 12_000,
        nodes: [frame(1, '(idle)'), frame(2, 'handle', '/w/dist/apps/sender/main.js'), frame(3, '(garbage collector)'), frame(4, 'pragma', '/w/node_modules/better-sqlite3/lib/methods/pragma.js')],
        samples,
        timeDeltas: samples.map(() => 1000),
      }),
    );
    try {
      expect(longTasks(path, 5)).toEqual([
        {
          startMs: 6,
          durationMs: 6,
          top: [
            { name: 'pragma better-sqlite3', selfPercent: (100 * 4) / 6 },
            { name: '(garbage collector) (garbage collector)', selfPercent: (100 * 2) / 6 },
          ],
        },
      ]);
      expect(longTasks(path, 3).map((task) => task.durationMs)).toEqual([3, 6]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
