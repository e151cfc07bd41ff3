import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, openSync } from 'node:fs';
import { AddressInfo, connect, createServer } from 'node:net';
import { join } from 'node:path';

export const WORKSPACE = join(__dirname, '../../../..');

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

export interface ServerProcess {
  readonly name: string;
  readonly port: number;
  readonly pid: number;
  /** SIGTERM (then SIGKILL after 15 s); resolves with the exit code. */
  stop(): Promise<number | null>;
}

export interface SpawnOptions {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly env: Record<string, string>;
  /** Ports that must accept connections before the process counts as started. */
  readonly ports: readonly number[];
  /** Where stdout and stderr go; the file is kept for inspection. */
  readonly logFile: string;
}

/** Starts a server process with a clean environment (no inherited CCS_* settings) and waits for its ports. */
export async function startProcess(options: SpawnOptions): Promise<ServerProcess> {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('CCS_')));
  const log = openSync(options.logFile, 'a');
  const child = spawn(options.command, options.args, { cwd: WORKSPACE, env: { ...inherited, ...options.env }, stdio: ['ignore', log, log] });
  closeSync(log);
  try {
    for (const port of options.ports) await waitForPort(port, child, options);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return {
    name: options.name,
    port: options.ports[0],
    pid: child.pid as number,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      const exited = once(child, 'exit') as Promise<[number | null]>;
      child.kill('SIGTERM');
      const force = setTimeout(() => child.kill('SIGKILL'), 15_000);
      const [code] = await exited;
      clearTimeout(force);
      return code;
    },
  };
}

async function waitForPort(port: number, child: ChildProcess, options: SpawnOptions): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${options.name} exited with ${child.exitCode}; see ${options.logFile}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.destroy();
        resolve(true);
      }).on('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${options.name} did not listen on ${port} within 60 s; see ${options.logFile}`);
}
