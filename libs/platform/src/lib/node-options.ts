/**
 * Node.js options of every launcher of a service: the npm start scripts, the Docker images, `npm
 * start` and the benchmark. Young-generation semi-spaces of at most 4 MB (Node 20's default grows to
 * 16 MB) keep a service's peak RSS under load 20-40 MB lower, with no loss of throughput measured
 * (docs/performance.md). Options given in NODE_OPTIONS or on the command line come after these.
 */
export const SERVICE_NODE_OPTIONS: readonly string[] = ['--max-semi-space-size=4'];
