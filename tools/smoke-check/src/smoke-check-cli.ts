import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ClientKeyError, loadClientKey } from './client-key';
import { parsePins, PinError } from './server-pin';
import { smokeCheck } from './smoke-check';

const USAGE = `Usage: npm run smoke-check -- --sender https://host:8443 --recipient https://host:8444
         --pin <base64 SHA-256 SPKI pin | CA or server certificate PEM file> [--pin …]
         --cert client.crt --key client.key [--timeout 10]

Stores a capsule for the client certificate's key at the sender, fetches it back from the recipient
over mutual TLS and compares it byte for byte. Prints one line; exits 0 only when everything matched.
The capsule expires after an hour.`;

export interface CliOutput {
  stdout(text: string): void;
  stderr(text: string): void;
}

class UsageError extends Error {}

/** Runs the smoke check command line; resolves to the exit code: 0 passed, 1 failed, 2 usage. */
export async function runSmokeCheckCli(argv: readonly string[], output: CliOutput): Promise<number> {
  let options: ReturnType<typeof parseOptions>;
  try {
    options = parseOptions(argv);
    if (options.help) {
      output.stdout(`${USAGE}\n`);
      return 0;
    }
    const verdict = await smokeCheck(options);
    output.stdout(`${verdict.line}\n`);
    return verdict.ok ? 0 : 1;
  } catch (error) {
    if (error instanceof UsageError) {
      output.stderr(`${error.message}\n\n${USAGE}\n`);
      return 2;
    }
    if (error instanceof PinError || error instanceof ClientKeyError) {
      output.stdout(`FAIL: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

function parseOptions(argv: readonly string[]) {
  let values;
  try {
    values = parseArgs({
      args: [...argv],
      options: {
        sender: { type: 'string' },
        recipient: { type: 'string' },
        pin: { type: 'string', multiple: true },
        cert: { type: 'string' },
        key: { type: 'string' },
        timeout: { type: 'string', default: '10' },
        help: { type: 'boolean', default: false },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) return { help: true } as const;
  const missing = (['sender', 'recipient', 'pin', 'cert', 'key'] as const).filter((name) => values[name] === undefined);
  if (missing.length > 0) throw new UsageError(`missing ${missing.map((name) => `--${name}`).join(', ')}`);
  const timeout = Number(values.timeout);
  if (!/^\d+$/.test(values.timeout) || timeout < 1 || timeout > 300) throw new UsageError('--timeout must be whole seconds from 1 to 300');
  const cert = readText('--cert', values.cert as string);
  const key = readText('--key', values.key as string);
  return {
    help: false,
    senderUrl: httpsUrl('--sender', values.sender as string),
    recipientUrl: httpsUrl('--recipient', values.recipient as string),
    pin: parsePins(values.pin as string[]),
    client: { cert, key },
    clientKey: loadClientKey(cert, key),
    timeoutMs: timeout * 1000,
    lifetimeMs: 60 * 60 * 1000,
  } as const;
}

function httpsUrl(option: string, value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`${option} must be an https URL such as https://ccs.example.org:8443`);
  }
  if (url.protocol !== 'https:' || url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
    throw new UsageError(`${option} must be an https base URL without credentials, query or fragment`);
  }
  return url;
}

function readText(option: string, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new ClientKeyError(`${option} ${path}: cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}
