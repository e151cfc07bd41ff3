import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { serviceNodeOptions } from './node-options';

const root = join(__dirname, '../../../..');
const read = (path: string) => readFileSync(join(root, path), 'utf8');

describe('serviceNodeOptions', () => {
  it('are the options of the npm start scripts and of the service images', () => {
    const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
    for (const name of ['sender', 'recipient']) {
      expect(scripts[`start:${name}`]).toBe(`node ${serviceNodeOptions(`dist/apps/${name}`).join(' ')} dist/apps/${name}/main.js`);
      const image = read(`docker/${name}.Dockerfile`);
      expect(image).toContain(`NODE_OPTIONS="${serviceNodeOptions('/app').join(' ')}"`);
      // The OpenSSL settings the options name are in the image, beside main.js.
      expect(image).toMatch(new RegExp(`COPY --from=build .*/src/dist/apps/${name}/openssl\\.cnf \\./`));
    }
  });

  it('name the OpenSSL settings file in the folder of the bundle', () => {
    expect(serviceNodeOptions('/app')).toContain('--openssl-config=/app/openssl.cnf');
    expect(serviceNodeOptions('dist/apps/sender')).toContain('--openssl-config=dist/apps/sender/openssl.cnf');
  });
});
