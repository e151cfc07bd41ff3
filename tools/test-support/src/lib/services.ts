import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, connect } from 'node:net';
import { join } from 'node:path';
import { serviceNodeOptions } from '@ccs/platform/node-options';

const WORKSPACE = join(__dirname, '../../../..');

export interface RunningService {
  readonly url: string;
  readonly port: number;
  /** The plain-HTTP management listener (health, metrics, OpenAPI). */
  readonly managementUrl: string;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** Resolves once the output contains `text` (logs arrive through a pipe, after the response); rejects after 10 s. */
  waitForOutput(text: string): Promise<void>;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
}

export async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

async function waitForPort(port: number, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`service exited with ${child.exitCode}:\n${output()}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.destroy();
        resolve(true);
      }).on('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`service did not listen on ${port} within 30 s:\n${output()}`);
}

/**
 * The settings both services need to run against `databaseUrl` with a test PKI written to `pkiDir`
 * (server.crt, server.key, client-ca-bundle.crt), on free ports; `extra` adds or overrides.
 * Revocation is off unless `extra` turns it on: a test PKI has no OCSP responder of its own.
 */
export async function serviceEnvironment(pkiDir: string, databaseUrl: string, extra: Record<string, string> = {}): Promise<Record<string, string>> {
  return {
    CCS_DATABASE_URL: databaseUrl,
    CCS_SENDER_PORT: String(await freePort()),
    CCS_RECIPIENT_PORT: String(await freePort()),
    CCS_TLS_CERT_FILE: join(pkiDir, 'server.crt'),
    CCS_TLS_KEY_FILE: join(pkiDir, 'server.key'),
    CCS_CLIENT_CA_FILE: join(pkiDir, 'client-ca-bundle.crt'),
    CCS_LOG_LEVEL: 'warn',
    CCS_REVOCATION_MODE: 'none',
    ...extra,
  };
}

/** Starts a built service (`dist/apps/<name>/main.js`) as its launchers do, with exactly these CCS_* settings. */
export async function startService(name: 'sender' | 'recipient', env: Record<string, string>): Promise<RunningService> {
  const port = Number(env[name === 'sender' ? 'CCS_SENDER_PORT' : 'CCS_RECIPIENT_PORT']);
  const managementVariable = name === 'sender' ? 'CCS_SENDER_MANAGEMENT_PORT' : 'CCS_RECIPIENT_MANAGEMENT_PORT';
  // Free ports rather than the defaults, so that test runs on one machine do not collide.
  const managementPort = Number(env[managementVariable] ?? (await freePort()));
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('CCS_')));
  const bundle = join(WORKSPACE, 'dist/apps', name);
  const child = spawn(process.execPath, [...serviceNodeOptions(bundle), join(bundle, 'main.js')], {
    cwd: WORKSPACE,
    env: { ...inherited, [managementVariable]: String(managementPort), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  child.stdout?.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
  const output = () => text;
  await waitForPort(port, child, output);
  await waitForPort(managementPort, child, output);
  return {
    url: `https://localhost:${port}`,
    port,
    managementUrl: `http://127.0.0.1:${managementPort}`,
    output,
    async waitForOutput(wanted: string) {
      for (const deadline = Date.now() + 10_000; !text.includes(wanted); ) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`the service never wrote ${JSON.stringify(wanted)}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async stop() {
      if (child.exitCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      // 'close' rather than 'exit': it comes after the last output has been read from the pipes.
      const [code] = (await once(child, 'close')) as [number | null];
      return code;
    },
  };
}
