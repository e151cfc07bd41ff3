import { summariseProfile } from './lib/profile-summary';

const [path, ...patterns] = process.argv.slice(2);
if (!path) {
  console.error('usage: tsx tools/bench/src/profile-cli.ts <file.cpuprofile> [function-name-regex ...]');
  process.exit(64);
}
const summary = summariseProfile(path, 25, patterns.map((p) => new RegExp(p)));
const show = (title: string, lines: { name: string; selfPercent: number }[]) => {
  console.log(`\n${title}`);
  for (const line of lines) console.log(`${line.selfPercent.toFixed(1).padStart(6)}%  ${line.name}`);
};
console.log(`${summary.busySamples} busy samples`);
show('self time by origin', summary.byOrigin);
show('self time by function', summary.byFunction);
if (patterns.length) show('inclusive time', summary.inclusive);
