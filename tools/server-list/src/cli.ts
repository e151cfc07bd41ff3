import { runServerListCli } from './server-list-cli';

process.exitCode = runServerListCli(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
});
