/**
 * Node.js options of every launcher of a service: the npm start scripts, the Docker images, `npm
 * start` and the benchmark (docs/performance.md, "Memory"). Options given in NODE_OPTIONS or on the
 * command line come after these and win.
 *
 * - Young-generation semi-spaces of at most 4 MB (Node 20's default grows to 16 MB): 20-40 MB less
 *   peak RSS under load, no throughput lost.
 * - An old-generation limit of 1 GB instead of one derived from the host's memory (4 GB on a host
 *   with 16 GB or more). V8 lets the old generation grow up to 4 times its live size between full
 *   collections when the limit is 2 GB or more, and less below it (1.6 times at 1 GB). A service's
 *   live heap is ~30 MB, so 1 GB leaves room for 30 times that; peak RSS under load fell by 7-19 MB
 *   per service, and the heap behaves the same on every host.
 */
export const SERVICE_NODE_OPTIONS: readonly string[] = ['--max-semi-space-size=4', '--max-old-space-size=1024'];
