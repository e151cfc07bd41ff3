import { longTasks, summariseProfile } from './lib/profile-summary';

const args = process.argv.slice(2);
const longOption = args.find((arg) => arg.startsWith('--long-tasks='));
const [path, ...patterns] = args.filter((arg) => arg !== longOption);
if (!path) {
  console.error('usage: tsx tools/bench/src/profile-cli.ts [--long-tasks=<ms>] <file.cpuprofile> [function-name-regex ...]');
  process.exit(64);
}
if (longOption) {
  const minMs = Number(longOption.split('=')[1]);
  for (const task of longTasks(path, minMs)) {
    const top = task.top.map((line) => `${line.selfPercent.toFixed(0)}% ${line.name}`).join(', ');
    console.log(`${task.startMs.toFixed(0).padStart(8)} ms  ${task.durationMs.toFixed(1).padStart(6)} ms  ${top}`);
  }
  process.exit(0);
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
