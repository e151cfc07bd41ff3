import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { availableParallelism } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ioStallMicros, machineTicks, runQueueWaitNs, UsageMeter } from './process-usage';

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

describe('ioStallMicros', () => {
  it("takes the total of the 'some' line", () => {
    const pressure = ['some avg10=4.04 avg60=3.18 avg300=3.64 total=527136454', 'full avg10=2.97 avg60=2.15 avg300=1.59 total=344748072'].join('\n');
    expect(ioStallMicros(pressure)).toBe(527136454);
    expect(ioStallMicros('')).toBeUndefined();
  });
});

describe('runQueueWaitNs', () => {
  it('reads the wait of every thread of a process', () => {
    const waits = runQueueWaitNs(process.pid);
    expect(waits.has(process.pid)).toBe(true);
    for (const ns of waits.values()) expect(ns).toBeGreaterThanOrEqual(0);
    expect(runQueueWaitNs(2 ** 22 + 1).size).toBe(0);
  });
});

describe('UsageMeter', () => {
  const children: ChildProcess[] = [];
  afterEach(() => children.splice(0).forEach((child) => child.kill()));

  /** A Node process that holds `mb` MB of touched memory and says so on stdout. */
  async function holding(mb: number): Promise<number> {
    const child = spawn(process.execPath, ['-e', `globalThis.held = Buffer.alloc(${mb} * 2 ** 20, 1); console.log('ready'); setInterval(() => {}, 1000);`]);
    children.push(child);
    if (!child.stdout || child.pid === undefined) throw new Error('the child did not start');
    await once(child.stdout, 'data');
    return child.pid;
  }

  it('reports the run-queue wait of processes that want more cores than the machine has', async () => {
    // Four times as many spinning processes as cores: each runs about a quarter of the time and waits
    // for a core the rest, about three times as long as it runs.
    const spinners = Array.from({ length: 4 * availableParallelism() }, () => {
      const child = spawn(process.execPath, ['-e', 'for (;;);']);
      children.push(child);
      return child.pid as number;
    });
    await sleep(300);
    const meter = new UsageMeter({ spinners });
    await sleep(1000);
    const usage = meter.stop();
    expect(usage.cpuSeconds).toBeGreaterThan(0.5);
    expect(usage.runQueueWaitPercent).toBeGreaterThan(150);
  });

  it('reports the share of the phase in which the machine waited for the disk', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ccs-io-'));
    const meter = new UsageMeter({ idle: [await holding(1)] });
    try {
      // Every flush of written data puts this process in an I/O wait, however fast the disk.
      const file = await open(join(dir, 'data'), 'w');
      for (let i = 0; i < 20; i++) {
        await file.write(Buffer.alloc(256 * 1024, i));
        await file.sync();
      }
      await file.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const { ioStallPercent } = meter.stop();
    if (!existsSync('/proc/pressure/io')) return expect(ioStallPercent).toBeNull();
    expect(ioStallPercent).toBeGreaterThan(0);
    expect(ioStallPercent).toBeLessThanOrEqual(100);
  });

  it('reports the peak resident set of each group', async () => {
    const [small, large] = await Promise.all([holding(1), holding(96)]);
    const usage = new UsageMeter({ small: [small], large: [large] }, 10).stop();
    const mb = (bytes: number) => bytes / 2 ** 20;
    expect(mb(usage.peakRssBytesByGroup.large)).toBeGreaterThan(mb(usage.peakRssBytesByGroup.small) + 80);
    expect(mb(usage.peakRssBytesByGroup.small)).toBeGreaterThan(1);
  });
});
