import { serviceNodeOptions } from '@ccs/platform';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, ServerProcess, startProcess } from './processes';
import { BenchPki } from './workload';

export type ServerKind = 'ccs' | 'baseline' | 'openssl';

/** The processes answering one kind of server: CCS and the baseline have a sender and a recipient. */
export interface Target {
  readonly kind: ServerKind;
  readonly senderPort: number;
  readonly recipientPort: number;
  readonly senderPids: readonly number[];
  readonly recipientPids: readonly number[];
  stop(): Promise<void>;
}

export interface TargetSettings {
  readonly pki: BenchPki;
  readonly databaseUrl: string;
  readonly dir: string;
  /** Extra Node options for the CCS services, e.g. --cpu-prof. */
  readonly nodeOptions?: readonly string[];
  /** Write --cpu-prof profiles of the baseline servers to this directory. */
  readonly baselineProfileDir?: string;
  /** Extra CCS_* settings, e.g. a log level. */
  readonly env?: Record<string, string>;
  /** Extra CCS_* settings for one service only, after `env`. */
  readonly serviceEnv?: Partial<Record<'sender' | 'recipient', Record<string, string>>>;
  /** Run each CCS service in this many node:cluster workers (cluster-launcher.ts); default one plain process. */
  readonly workers?: number;
}

/** One bundle with the issuing CA and its root, used alike by every server, so chain checks cost the same. */
function clientCaFile(settings: TargetSettings): string {
  const path = join(settings.dir, 'client-ca-chain.crt');
  writeFileSync(path, settings.pki.pki.issuingCa.certificate.pem + settings.pki.pki.rootCa.certificate.pem);
  return path;
}

export async function startCcs(settings: TargetSettings): Promise<Target> {
  const [senderPort, recipientPort, senderManagement, recipientManagement] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  const env = {
    CCS_DATABASE_URL: settings.databaseUrl,
    CCS_BIND_HOST: '127.0.0.1',
    CCS_SENDER_PORT: String(senderPort),
    CCS_RECIPIENT_PORT: String(recipientPort),
    CCS_SENDER_MANAGEMENT_PORT: String(senderManagement),
    CCS_RECIPIENT_MANAGEMENT_PORT: String(recipientManagement),
    CCS_TLS_CERT_FILE: settings.pki.files.server.certificate,
    CCS_TLS_KEY_FILE: settings.pki.files.server.key,
    CCS_CLIENT_CA_FILE: clientCaFile(settings),
    // The test PKI runs no OCSP responder; revocation checking is outside what this measures.
    CCS_REVOCATION_MODE: 'none',
    ...settings.env,
  };
  const start = (name: 'sender' | 'recipient', ports: number[]) =>
    startProcess({
      name: `ccs-${name}`,
      command: process.execPath,
      args: settings.workers
        ? [...serviceNodeOptions(join('dist/apps', name)), '--import', 'tsx', join(__dirname, '../cluster-launcher.ts'), String(settings.workers), join('dist/apps', name, 'main.js')]
        : [...serviceNodeOptions(join('dist/apps', name)), ...(settings.nodeOptions ?? []), join('dist/apps', name, 'main.js')],
      env: { ...env, ...settings.serviceEnv?.[name], ...(settings.workers ? { TSX_TSCONFIG_PATH: 'tsconfig.base.json' } : {}) },
      ports,
      logFile: join(settings.dir, `ccs-${name}.log`),
    });
  const [sender, recipient] = await Promise.all([start('sender', [senderPort, senderManagement]), start('recipient', [recipientPort, recipientManagement])]);
  return target('ccs', sender, recipient);
}

export async function startBaseline(settings: TargetSettings): Promise<Target> {
  const caFile = clientCaFile(settings);
  const start = async (role: 'sender' | 'recipient') => {
    const port = await freePort();
    return startProcess({
      name: `baseline-${role}`,
      command: process.execPath,
      // The services' own Node options, so that the comparison is of the code, not of the runtime's settings.
      args: [...serviceNodeOptions(join('dist/apps', role)), ...(settings.baselineProfileDir ? ['--cpu-prof', '--cpu-prof-dir', settings.baselineProfileDir] : []), '--import', 'tsx', join(__dirname, '../baseline/baseline-server.ts'), '--role', role, '--port', String(port), '--database', settings.databaseUrl,
        '--cert', settings.pki.files.server.certificate, '--key', settings.pki.files.server.key, '--client-ca', caFile],
      env: { TSX_TSCONFIG_PATH: 'tsconfig.base.json' },
      ports: [port],
      logFile: join(settings.dir, `baseline-${role}.log`),
    });
  };
  const [sender, recipient] = await Promise.all([start('sender'), start('recipient')]);
  return target('baseline', sender, recipient);
}

/** `openssl s_server` with the recipient's certificate and client-certificate request: the raw handshake rate. */
export async function startOpenssl(settings: TargetSettings): Promise<Target> {
  const port = await freePort();
  const server = await startProcess({
    name: 'openssl-s_server',
    command: 'openssl',
    args: ['s_server', '-accept', `127.0.0.1:${port}`, '-cert', settings.pki.files.server.certificate, '-key', settings.pki.files.server.key,
      '-CAfile', clientCaFile(settings), '-Verify', '2', '-verify_return_error', '-tls1_3', '-num_tickets', '0', '-www', '-quiet'],
    env: {},
    ports: [port],
    logFile: join(settings.dir, 'openssl.log'),
  });
  return target('openssl', server, server);
}

function target(kind: ServerKind, sender: ServerProcess, recipient: ServerProcess): Target {
  return {
    kind,
    senderPort: sender.port,
    recipientPort: recipient.port,
    senderPids: [sender.pid],
    recipientPids: [recipient.pid],
    async stop() {
      await Promise.all([...new Set([sender, recipient])].map((p) => p.stop()));
    },
  };
}
