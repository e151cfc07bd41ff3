import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { cdoc2ConfFragment, javaClientProperties, serverListDocument } from './formats';
import { buildServerEntry, KEY_CAPSULE_TYPES, KEY_SERVER_ALIAS, ServerListError, type CertificateFile, type ServerEntry } from './server-entry';

const USAGE = `Usage: npm run server-list -- --id <uuid> --name <name> --organisation <id> --capsule-type <type>
         --sender-url https://host:8443 --recipient-url https://host:8444 --cert <server.crt> [--cert <next.crt>]
         (--out <dir> | --format cdoc2-conf|properties|json)

Writes the entry clients are configured with for this server (spec 16.5).
  --capsule-type  ${KEY_SERVER_ALIAS} (all of them) or some of ${KEY_CAPSULE_TYPES.join(', ')}, repeated or comma-separated
  --cert          PEM file whose first certificate is a server certificate; repeat it while rotating
  --out           folder to write ${Object.values(fileNames()).join(', ')} to
  --format        print one format to stdout instead`;

const FORMATS = {
  'cdoc2-conf': cdoc2ConfFragment,
  properties: javaClientProperties,
  json: (entry: ServerEntry) => `${JSON.stringify(serverListDocument(entry), null, 2)}\n`,
} as const;
type Format = keyof typeof FORMATS;

function fileNames(): Record<Format, string> {
  return { 'cdoc2-conf': 'cdoc2-conf.json', properties: 'cdoc2-client.properties', json: 'server-list.json' };
}

export interface CliOutput {
  stdout(text: string): void;
  stderr(text: string): void;
}

class UsageError extends Error {}

/** Runs the server list command line; returns the process exit code. */
export function runServerListCli(argv: readonly string[], output: CliOutput): number {
  try {
    return run(argv, output);
  } catch (error) {
    if (error instanceof UsageError) {
      output.stderr(`${error.message}\n\n${USAGE}\n`);
      return 2;
    }
    if (error instanceof ServerListError) {
      output.stderr(`${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

function run(argv: readonly string[], output: CliOutput): number {
  const options = parseOptions(argv);
  if (options.help) {
    output.stdout(`${USAGE}\n`);
    return 0;
  }
  const required = ['id', 'name', 'organisation', 'capsule-type', 'sender-url', 'recipient-url', 'cert'] as const;
  const missing = required.filter((name) => options[name] === undefined || options[name].length === 0);
  if (missing.length > 0) throw new UsageError(`missing ${missing.map((name) => `--${name}`).join(', ')}`);
  if ((options.out === undefined) === (options.format === undefined)) throw new UsageError('give exactly one of --out and --format');
  if (options.format !== undefined && !(options.format in FORMATS)) {
    throw new UsageError(`--format must be one of ${Object.keys(FORMATS).join(', ')}`);
  }

  const entry = buildServerEntry(
    {
      serverId: options.id as string,
      name: options.name as string,
      organisationId: options.organisation as string,
      capsuleTypes: options['capsule-type'] as string[],
      senderUrl: options['sender-url'] as string,
      recipientUrl: options['recipient-url'] as string,
    },
    readCertificateFiles(options.cert as string[]),
  );

  if (options.format !== undefined) {
    output.stdout(FORMATS[options.format as Format](entry));
    return 0;
  }
  const dir = resolve(options.out as string);
  mkdirSync(dir, { recursive: true });
  for (const [format, name] of Object.entries(fileNames()) as [Format, string][]) {
    const path = join(dir, name);
    writeFileSync(path, FORMATS[format](entry));
    output.stdout(`${path}\n`);
  }
  return 0;
}

function readCertificateFiles(paths: readonly string[]): CertificateFile[] {
  const problems: string[] = [];
  const files: CertificateFile[] = [];
  for (const path of paths) {
    try {
      files.push({ path, pem: readFileSync(path, 'utf8') });
    } catch (error) {
      problems.push(`${path}: cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }
  if (problems.length > 0) throw new ServerListError(problems);
  return files;
}

function parseOptions(argv: readonly string[]) {
  try {
    return parseArgs({
      args: [...argv],
      options: {
        id: { type: 'string' },
        name: { type: 'string' },
        organisation: { type: 'string' },
        'capsule-type': { type: 'string', multiple: true },
        'sender-url': { type: 'string' },
        'recipient-url': { type: 'string' },
        cert: { type: 'string', multiple: true },
        out: { type: 'string' },
        format: { type: 'string' },
        help: { type: 'boolean', default: false },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}
