import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runBench } from './lib/bench';
import { parseBenchArgs, USAGE } from './lib/options';
import { formatReport } from './lib/report';

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
  console.log(table);
  console.log(`\nJSON: ${join(options.outDir, 'report.json')}`);
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
