import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SERVICE_NODE_OPTIONS } from './node-options';

const root = join(__dirname, '../../../..');
const read = (path: string) => readFileSync(join(root, path), 'utf8');

describe('SERVICE_NODE_OPTIONS', () => {
  it('are the options of the npm start scripts and of the service images', () => {
    const options = SERVICE_NODE_OPTIONS.join(' ');
    const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
    expect(scripts['start:sender']).toBe(`node ${options} dist/apps/sender/main.js`);
    expect(scripts['start:recipient']).toBe(`node ${options} dist/apps/recipient/main.js`);
    for (const image of ['docker/sender.Dockerfile', 'docker/recipient.Dockerfile']) {
      expect(read(image)).toContain(`NODE_OPTIONS="${options}"`);
    }
  });
});
