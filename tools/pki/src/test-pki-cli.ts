import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { KEY_ALGORITHMS, type KeyAlgorithm } from './key-algorithm';
import { generateTestPki } from './test-pki';
import { existingTestPkiFiles, TestPkiExistsError, writeTestPki } from './test-pki-files';

const USAGE = `Usage: tsx tools/pki/src/cli.ts --out <dir> [--hosts host1,host2] [--clients p-256,rsa-2048] [--force]

Writes a test PKI (root CA, issuing CA, server and client certificates) as PEM files plus pki.json.
  --out      folder to write to (created if missing)
  --hosts    extra DNS names or IP addresses for the server certificate (localhost and 127.0.0.1 are always in)
  --clients  client key types to certify (default: all of ${KEY_ALGORITHMS.join(', ')})
  --force    replace an existing test PKI in that folder`;

export interface CliOutput {
  log(message: string): void;
  error(message: string): void;
}

class UsageError extends Error {}

/** Runs the test PKI command line with these arguments; resolves to the process exit code. */
export async function runTestPkiCli(argv: readonly string[], output: CliOutput): Promise<number> {
  try {
    return await writePki(argv, output);
  } catch (error) {
    if (error instanceof TestPkiExistsError) {
      output.error(`${error.message}\nPass --force to replace it.`);
    } else if (error instanceof UsageError) {
      output.error(`${error.message}\n\n${USAGE}`);
    } else {
      throw error;
    }
    return 1;
  }
}

async function writePki(argv: readonly string[], output: CliOutput): Promise<number> {
  const options = parseOptions(argv);
  if (options.help) {
    output.log(USAGE);
    return 0;
  }
  if (!options.out) {
    throw new UsageError('--out is required');
  }
  const dir = resolve(options.out);
  const existing = existingTestPkiFiles(dir);
  if (existing.length && !options.force) {
    throw new TestPkiExistsError(existing);
  }
  const pki = await generateTestPki({ hosts: list(options.hosts), clientKeys: clientKeys(options.clients) });
  const files = writeTestPki(pki, dir, { overwrite: options.force });
  output.log(
    [
      files.rootCa.certificate,
      files.rootCa.key,
      files.issuingCa.certificate,
      files.issuingCa.key,
      files.clientCaBundle,
      files.server.certificate,
      files.server.key,
      ...Object.values(files.clients).flatMap((pair) => [pair.certificate, pair.key]),
      files.manifest,
    ].join('\n'),
  );
  return 0;
}

function parseOptions(argv: readonly string[]) {
  try {
    return parseArgs({
      args: [...argv],
      options: {
        out: { type: 'string' },
        hosts: { type: 'string' },
        clients: { type: 'string' },
        force: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
      strict: true,
    }).values;
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

function list(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
}

function clientKeys(value: string | undefined): KeyAlgorithm[] | undefined {
  const requested = list(value);
  if (!requested.length) {
    return undefined;
  }
  return requested.map((name) => {
    const algorithm = KEY_ALGORITHMS.find((a) => a.toLowerCase() === name.toLowerCase());
    if (!algorithm) {
      throw new UsageError(`Unknown client key type: ${name}`);
    }
    return algorithm;
  });
}
