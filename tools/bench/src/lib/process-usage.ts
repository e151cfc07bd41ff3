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

/** Clock ticks of all CPUs of the machine so far, in all, and those the hypervisor gave to others (steal), from /proc/stat. */
export function machineTicks(stat = readFileSync('/proc/stat', 'utf8')): { readonly total: number; readonly steal: number } {
  // cpu  user nice system idle iowait irq softirq steal guest guest_nice (guest time is inside user)
  const fields = stat.slice(0, stat.indexOf('\n')).trim().split(/\s+/).slice(1, 9).map(Number);
  return { total: fields.reduce((sum, n) => sum + n, 0), steal: fields[7] ?? 0 };
}

export interface UsageReport {
  /** CPU seconds of all watched processes together. */
  readonly cpuSeconds: number;
  /** The largest resident set any one watched process had at a sample. */
  readonly peakRssBytes: number;
  /** Share of the machine's CPU time the hypervisor gave to other guests meanwhile, in percent. */
  readonly stealPercent: number;
}

/** Samples the CPU and memory of a set of processes over one measurement phase. */
export class UsageMeter {
  private readonly startCpu: number;
  private readonly startMachine = machineTicks();
  private peakRss = 0;
  private readonly timer: NodeJS.Timeout;

  private readonly pids: readonly number[];

  constructor(roots: readonly number[], sampleMs = 100) {
    this.pids = [...new Set(roots.flatMap(processTree))];
    this.startCpu = this.totalCpu();
    this.sample();
    this.timer = setInterval(() => this.sample(), sampleMs);
  }

  stop(): UsageReport {
    clearInterval(this.timer);
    this.sample();
    const machine = machineTicks();
    const ticks = machine.total - this.startMachine.total;
    const stealPercent = ticks > 0 ? (100 * (machine.steal - this.startMachine.steal)) / ticks : 0;
    return { cpuSeconds: this.totalCpu() - this.startCpu, peakRssBytes: this.peakRss, stealPercent };
  }

  private totalCpu(): number {
    return this.pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
  }

  private sample(): void {
    for (const pid of this.pids) this.peakRss = Math.max(this.peakRss, residentBytes(pid));
  }
}
