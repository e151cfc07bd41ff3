import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  /** Microseconds from the previous sample (the first from startTime). */
  timeDeltas?: number[];
}

export interface LongTask {
  /** Milliseconds from the profile's start. */
  readonly startMs: number;
  readonly durationMs: number;
  /** The functions with the most self time in the task, with their share of its samples. */
  readonly top: ProfileLine[];
}

export interface ProfileLine {
  readonly name: string;
  readonly selfPercent: number;
  readonly totalPercent?: number;
}

/** Where a frame's code comes from: a package, the app bundle, Node itself, or V8's own bookkeeping. */
export function originOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const module = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (module) return module[1];
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0]}`;
  if (url.includes('/dist/apps/')) return 'ccs app bundle';
  return url.split('/').slice(-2).join('/');
}

function readProfile(path: string): { profile: CpuProfile; byId: Map<number, ProfileNode> } {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  return { profile, byId: new Map(profile.nodes.map((node) => [node.id, node])) };
}

const isIdle = (node: ProfileNode | undefined) => node?.callFrame.functionName === '(idle)';

/**
 * Self time by origin and by function, and inclusive time for frames whose name matches one of
 * `inclusive` (e.g. a handler), all as a share of the samples taken while the process was busy.
 */
export function summariseProfile(path: string, top = 15, inclusive: readonly RegExp[] = []): { busySamples: number; byOrigin: ProfileLine[]; byFunction: ProfileLine[]; inclusive: ProfileLine[] } {
  const { profile, byId } = readProfile(path);
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const busy = profile.nodes.filter((node) => !isIdle(node)).reduce((sum, node) => sum + (node.hitCount ?? 0), 0) || 1;
  const add = (map: Map<string, number>, key: string, n: number) => map.set(key, (map.get(key) ?? 0) + n);
  const origins = new Map<string, number>();
  const functions = new Map<string, number>();
  const inclusiveHits = new Map<string, number>();
  for (const node of profile.nodes) {
    const hits = node.hitCount ?? 0;
    if (!hits || isIdle(node)) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    add(origins, originOf(url, functionName), hits);
    add(functions, `${functionName || '(anonymous)'} ${originOf(url, functionName)}:${lineNumber + 1}`, hits);
    const seen = new Set<string>();
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
      const name = byId.get(id)?.callFrame.functionName ?? '';
      for (const pattern of inclusive) {
        if (pattern.test(name) && !seen.has(pattern.source)) {
          seen.add(pattern.source);
          add(inclusiveHits, pattern.source, hits);
        }
      }
    }
  }
  const lines = (map: Map<string, number>, n: number) =>
    [...map.entries()].sort((a, b) => b[1] - a[1]).slice(0, n).map(([name, hits]) => ({ name, selfPercent: (100 * hits) / busy }));
  return { busySamples: busy, byOrigin: lines(origins, top), byFunction: lines(functions, top), inclusive: lines(inclusiveHits, inclusive.length) };
}

/**
 * The stretches in which the thread never went idle for at least `minMs`: the event loop answered
 * nothing else meanwhile, so every request that arrived then waited for them. Each with the three
 * functions that took most of its samples.
 */
export function longTasks(path: string, minMs: number): LongTask[] {
  const { profile, byId } = readProfile(path);
  const deltas = profile.timeDeltas ?? [];
  const tasks: LongTask[] = [];
  let at = 0;
  let start: number | undefined;
  let hits = new Map<string, number>();
  const close = () => {
    if (start !== undefined && (at - start) / 1000 >= minMs) {
      const count = [...hits.values()].reduce((sum, n) => sum + n, 0);
      const top = [...hits.entries()].sort((a, b) => b[1] - a[1]).slice(0, 3).map(([name, n]) => ({ name, selfPercent: (100 * n) / count }));
      tasks.push({ startMs: start / 1000, durationMs: (at - start) / 1000, top });
    }
    start = undefined;
    hits = new Map();
  };
  (profile.samples ?? []).forEach((id, i) => {
    at += deltas[i] ?? 0;
    const node = byId.get(id);
    if (isIdle(node)) return close();
    start ??= at;
    const name = node?.callFrame.functionName ?? '';
    const key = `${name || '(anonymous)'} ${originOf(node?.callFrame.url ?? '', name)}`;
    hits.set(key, (hits.get(key) ?? 0) + 1);
  });
  close();
  return tasks;
}
