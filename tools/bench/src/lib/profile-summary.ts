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

/**
 * Self time by origin and by function, and inclusive time for frames whose name matches one of
 * `inclusive` (e.g. a handler), all as a share of the samples taken while the process was busy.
 */
export function summariseProfile(path: string, top = 15, inclusive: readonly RegExp[] = []): { busySamples: number; byOrigin: ProfileLine[]; byFunction: ProfileLine[]; inclusive: ProfileLine[] } {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const idle = (node: ProfileNode) => node.callFrame.functionName === '(idle)';
  const busy = profile.nodes.filter((node) => !idle(node)).reduce((sum, node) => sum + (node.hitCount ?? 0), 0) || 1;
  const add = (map: Map<string, number>, key: string, n: number) => map.set(key, (map.get(key) ?? 0) + n);
  const origins = new Map<string, number>();
  const functions = new Map<string, number>();
  const inclusiveHits = new Map<string, number>();
  for (const node of profile.nodes) {
    const hits = node.hitCount ?? 0;
    if (!hits || idle(node)) continue;
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
