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
cluster.setupPrimary({ exec: resolve(script) });
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
