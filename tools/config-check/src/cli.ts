import { ConfigError, loadConfig, ServiceName } from '@ccs/platform';

const SERVICES: readonly ServiceName[] = ['sender', 'recipient'];

/** Validates the environment of each named service (default: both) exactly as the service would at start, and starts nothing. */
function main(args: readonly string[]): number {
  const unknown = args.filter((arg) => !(SERVICES as readonly string[]).includes(arg));
  if (unknown.length > 0) {
    process.stderr.write(`usage: npm run config:check -- [sender] [recipient]\n`);
    return 64;
  }
  let failed = false;
  for (const service of args.length > 0 ? (args as ServiceName[]) : SERVICES) {
    try {
      loadConfig(service);
      process.stdout.write(`${service}: OK\n`);
    } catch (error) {
      failed = true;
      const problems = error instanceof ConfigError ? error.problems : [error instanceof Error ? error.message : String(error)];
      process.stdout.write(`${service}: ${problems.length} problem(s)\n${problems.map((p) => `  ${p}\n`).join('')}`);
    }
  }
  return failed ? 78 : 0;
}

process.exitCode = main(process.argv.slice(2));
