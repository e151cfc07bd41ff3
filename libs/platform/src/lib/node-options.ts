import { join } from 'node:path';

/**
 * Node.js options of every launcher of a service: the npm start scripts, the Docker images, `npm
 * start`, the end-to-end tests and the benchmark (docs/performance.md). `serviceDir` is the folder
 * of the service's bundle (`dist/apps/<name>` or the image's `/app`), where the build puts
 * `openssl.cnf`. Options given in NODE_OPTIONS or on the command line come after these and win.
 *
 * - Young-generation semi-spaces of at most 4 MB (Node 20's default grows to 16 MB): 20-40 MB less
 *   peak RSS under load, no throughput lost.
 * - An old-generation limit of 1 GB instead of one derived from the host's memory (4 GB on a host
 *   with 16 GB or more). V8 lets the old generation grow up to 4 times its live size between full
 *   collections when the limit is 2 GB or more, and less below it (1.6 times at 1 GB). A service's
 *   live heap is ~30 MB, so 1 GB leaves room for 30 times that; peak RSS under load fell by 7-19 MB
 *   per service, and the heap behaves the same on every host.
 * - The service's OpenSSL settings (libs/platform/src/openssl.cnf): no TLS 1.3 session tickets,
 *   which Node.js has no option for. Node.js starts without complaint when the file is missing, and
 *   the service then sends tickets again: apps/e2e/src/session-tickets.e2e.spec.ts checks the build
 *   and the launchers together.
 */
export function serviceNodeOptions(serviceDir: string): string[] {
  return ['--max-semi-space-size=4', '--max-old-space-size=1024', `--openssl-config=${join(serviceDir, 'openssl.cnf')}`];
}
