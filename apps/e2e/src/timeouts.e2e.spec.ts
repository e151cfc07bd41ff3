import { generateTestPki, writeTestPki } from '@ccs/test-pki';
import { createTestSqliteDatabase, RunningService, serviceEnvironment, startService, TestDatabase } from '@ccs/test-support';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';

let dir: string;
let database: TestDatabase;
let sender: RunningService;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ccs-e2e-timeouts-'));
  writeTestPki(await generateTestPki({ clientKeys: ['P-256'] }), join(dir, 'pki'));
  database = await createTestSqliteDatabase();
  sender = await startService('sender', await serviceEnvironment(join(dir, 'pki'), database.url, { CCS_HEADERS_TIMEOUT: 'PT1S' }));
}, 60_000);

afterAll(async () => {
  await sender?.stop();
  await database?.drop();
  rmSync(dir, { recursive: true, force: true });
});

it('answers 408 and closes a connection whose request headers never end', async () => {
  const socket = connect({ port: sender.port, host: '127.0.0.1', servername: 'localhost', ca: readFileSync(join(dir, 'pki', 'root-ca.crt')) });
  await once(socket, 'secureConnect');
  socket.write('POST /key-capsules HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n');
  let answer = '';
  socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
  await once(socket, 'close');
  expect(answer).toMatch(/^HTTP\/1\.1 408 /);
});
