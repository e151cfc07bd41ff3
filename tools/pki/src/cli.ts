import { runTestPkiCli } from './test-pki-cli';

runTestPkiCli(process.argv.slice(2), console).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  },
);
