import cluster from 'node:cluster';
import { resolve } from 'node:path';

/**
 * Runs a built service in N node:cluster workers that share its listening ports (the primary hands
 * connections out round-robin), so one service uses every core:
 *   node --import tsx tools/bench/src/cluster-launcher.ts 2 dist/apps/recipient/main.js
 * SIGTERM or SIGINT is passed on to every worker; a worker that dies otherwise is replaced.
 */
const [count, script] = process.argv.slice(2);
const workers = Number(count);
if (!Number.isInteger(workers) || workers < 1 || !script) {
  console.error('usage: cluster-launcher <workers> <service main.js>');
  process.exit(64);
}
let stopping = false;
// The workers run built JavaScript: they get the primary's Node options without the TypeScript
// loader it was started with, which cost each worker ~30 MB.
cluster.setupPrimary({ exec: resolve(script), execArgv: withoutTsx(process.execArgv) });
cluster.on('exit', (worker, code) => {
  if (!stopping) {
    console.error(`worker ${worker.process.pid} exited with ${code}; starting another`);
    cluster.fork();
  } else if (Object.keys(cluster.workers ?? {}).length === 0) {
    process.exit(0);
  }
});
for (let i = 0; i < workers; i++) cluster.fork();
const stop = () => {
  stopping = true;
  for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);

/** The options without `--import tsx` (or `--import=tsx`), the loader this launcher is started with. */
function withoutTsx(execArgv: readonly string[]): string[] {
  const kept: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    if (execArgv[i] === '--import' && execArgv[i + 1] === 'tsx') i++;
    else if (execArgv[i] !== '--import=tsx') kept.push(execArgv[i]);
  }
  return kept;
}
