import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

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

export interface UsageReport {
  /** CPU seconds of all watched processes together. */
  readonly cpuSeconds: number;
  /** The largest resident set any one watched process had at a sample. */
  readonly peakRssBytes: number;
}

/** Samples the CPU and memory of a set of processes over one measurement phase. */
export class UsageMeter {
  private readonly startCpu: number;
  private peakRss = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly pids: readonly number[], sampleMs = 100) {
    this.startCpu = this.totalCpu();
    this.sample();
    this.timer = setInterval(() => this.sample(), sampleMs);
  }

  stop(): UsageReport {
    clearInterval(this.timer);
    this.sample();
    return { cpuSeconds: this.totalCpu() - this.startCpu, peakRssBytes: this.peakRss };
  }

  private totalCpu(): number {
    return this.pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
  }

  private sample(): void {
    for (const pid of this.pids) this.peakRss = Math.max(this.peakRss, residentBytes(pid));
  }
}
