import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

let ticksPerSecond: number | undefined;

function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    const reported = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    ticksPerSecond = Number.isFinite(reported) && reported > 0 ? reported : 100;
  }
  return ticksPerSecond;
}

/** User plus system CPU seconds a process has used so far, from /proc/<pid>/stat. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which may itself contain spaces and parentheses.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / clockTicks();
}

/** Resident set size in bytes, from /proc/<pid>/status. */
export function residentBytes(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) * 1024 : 0;
}

/** The process and its descendants (e.g. node:cluster workers), from the children files under /proc/<pid>/task. */
export function processTree(pid: number): number[] {
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) {
    try {
      for (const task of readdirSync(`/proc/${tree[i]}/task`)) {
        const children = readFileSync(`/proc/${tree[i]}/task/${task}/children`, 'utf8').trim();
        if (children) tree.push(...children.split(' ').map(Number));
      }
    } catch {
      // the process has exited
    }
  }
  return tree;
}

/**
 * Nanoseconds each thread of a process has spent waiting on a run queue, ready to run but without
 * a core, from /proc/<pid>/task/<tid>/schedstat (its second field), by thread id.
 */
export function runQueueWaitNs(pid: number): Map<number, number> {
  const waits = new Map<number, number>();
  try {
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      try {
        waits.set(Number(task), Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[1]));
      } catch {
        // the thread has exited
      }
    }
  } catch {
    // the process has exited
  }
  return waits;
}

/** Clock ticks of all CPUs of the machine so far, in all, and those the hypervisor gave to others (steal), from /proc/stat. */
export function machineTicks(stat = readFileSync('/proc/stat', 'utf8')): { readonly total: number; readonly steal: number } {
  // cpu  user nice system idle iowait irq softirq steal guest guest_nice (guest time is inside user)
  const fields = stat.slice(0, stat.indexOf('\n')).trim().split(/\s+/).slice(1, 9).map(Number);
  return { total: fields.reduce((sum, n) => sum + n, 0), steal: fields[7] ?? 0 };
}

/**
 * Microseconds so far in which some task of the machine was stalled waiting for I/O (the kernel's
 * pressure stall information, the `some` line of /proc/pressure/io); undefined where the kernel has none.
 */
export function ioStallMicros(pressure = readIfPresent('/proc/pressure/io')): number | undefined {
  const total = /^some .*\btotal=(\d+)/m.exec(pressure ?? '')?.[1];
  return total === undefined ? undefined : Number(total);
}

function readIfPresent(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

export interface UsageReport {
  /** CPU seconds of all watched processes together. */
  readonly cpuSeconds: number;
  /** Per group of processes the meter was given: the largest resident set one of them had at a sample. */
  readonly peakRssBytesByGroup: Record<string, number>;
  /** Share of the machine's CPU time the hypervisor gave to other guests meanwhile, in percent. */
  readonly stealPercent: number;
  /**
   * Time the watched processes' threads spent ready to run but waiting for a core, as a share of
   * the CPU time they got, in percent: how much the machine's other work delayed them.
   */
  readonly runQueueWaitPercent: number;
  /**
   * Share of the phase in which some task of the machine waited for the disk, in percent (null where
   * the kernel reports no pressure stalls): slow answers in a phase with a high share are the disk's.
   */
  readonly ioStallPercent: number | null;
}

/**
 * Samples the CPU and memory of groups of processes (each given by its root processes, children
 * included) over one measurement phase; a process in two groups counts once for CPU.
 */
export class UsageMeter {
  private readonly startCpu: number;
  private readonly startMachine = machineTicks();
  private readonly startIo = ioStallMicros();
  private readonly startedAt = performance.now();
  private readonly startWaits: Map<number, number>;
  private readonly peakRss: Record<string, number>;
  private readonly timer: NodeJS.Timeout;

  private readonly groups: [string, readonly number[]][];
  private readonly pids: readonly number[];

  constructor(roots: Readonly<Record<string, readonly number[]>>, sampleMs = 100) {
    this.groups = Object.entries(roots).map(([name, group]) => [name, [...new Set(group.flatMap(processTree))]]);
    this.pids = [...new Set(this.groups.flatMap(([, pids]) => pids))];
    this.peakRss = Object.fromEntries(this.groups.map(([name]) => [name, 0]));
    this.startCpu = this.totalCpu();
    this.startWaits = this.waits();
    this.sample();
    this.timer = setInterval(() => this.sample(), sampleMs);
  }

  stop(): UsageReport {
    clearInterval(this.timer);
    this.sample();
    const machine = machineTicks();
    const ticks = machine.total - this.startMachine.total;
    const stealPercent = ticks > 0 ? (100 * (machine.steal - this.startMachine.steal)) / ticks : 0;
    const cpuSeconds = this.totalCpu() - this.startCpu;
    const io = ioStallMicros();
    const elapsedMicros = (performance.now() - this.startedAt) * 1000;
    const ioStallPercent = io === undefined || this.startIo === undefined || elapsedMicros <= 0 ? null : (100 * (io - this.startIo)) / elapsedMicros;
    // A thread started during the phase waited only within it; one that ended is left out.
    let waitNs = 0;
    for (const [thread, ns] of this.waits()) waitNs += ns - (this.startWaits.get(thread) ?? 0);
    return {
      cpuSeconds,
      peakRssBytesByGroup: { ...this.peakRss },
      stealPercent,
      runQueueWaitPercent: cpuSeconds > 0 ? (100 * waitNs) / 1e9 / cpuSeconds : 0,
      ioStallPercent,
    };
  }

  /** By thread id, which is unique on the machine. */
  private waits(): Map<number, number> {
    return new Map(this.pids.flatMap((pid) => [...runQueueWaitNs(pid)]));
  }

  private totalCpu(): number {
    return this.pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
  }

  private sample(): void {
    const resident = new Map(this.pids.map((pid) => [pid, residentBytes(pid)]));
    for (const [name, pids] of this.groups) {
      for (const pid of pids) this.peakRss[name] = Math.max(this.peakRss[name], resident.get(pid) ?? 0);
    }
  }
}
