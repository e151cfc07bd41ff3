import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runBench } from './lib/bench';
import { parseBenchArgs, USAGE } from './lib/options';
import { formatMarkdown, formatReport } from './lib/report';

/*
 * `npm run bench` runs this process, the load generator's, with --no-allocation-site-pretenuring.
 * The new-connection scenarios keep node:https's per-request objects alive for 100 ms and more, so
 * V8 learns to allocate them straight into the old generation. In the keep-alive scenarios that
 * follow, those old objects point at short-lived young ones, every scavenge copies and promotes
 * them (~2 MB each time), and the generator paused 8-15 ms every half second instead of 1-2 ms: time
 * charged to whichever server was being measured (docs/performance.md, "the load generator's own pauses").
 */
async function main(): Promise<number> {
  const options = parseBenchArgs(process.argv.slice(2));
  if (options === 'help') {
    console.log(USAGE);
    return 0;
  }
  const report = await runBench(options, (line) => console.error(`[bench] ${line}`));
  const table = formatReport(report);
  writeFileSync(join(options.outDir, 'report.json'), JSON.stringify(report, null, 2) + '\n');
  writeFileSync(join(options.outDir, 'report.txt'), table + '\n');
  writeFileSync(join(options.outDir, 'report.md'), formatMarkdown(report) + '\n');
  console.log(table);
  console.log(`\nJSON: ${join(options.outDir, 'report.json')}; the tables of docs/performance.md: ${join(options.outDir, 'report.md')}`);
  const measurements = [...report.scenarios.flatMap((s) => s.measurements), ...(report.purge ?? []).flatMap((p) => [p.withoutPurge, p.duringPurge])];
  const failed = measurements.some((m) => Object.keys(m.errors).length > 0);
  return failed ? 2 : 0;
}

main().then(
  (code) => (process.exitCode = code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  },
);
