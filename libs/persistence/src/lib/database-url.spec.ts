import { parseDatabaseUrl } from './database-url';

describe('parseDatabaseUrl', () => {
  it('resolves a relative SQLite path against the working directory', () => {
    expect(parseDatabaseUrl('sqlite:data/ccs.sqlite', '/srv/ccs')).toEqual({ dialect: 'sqlite', path: '/srv/ccs/data/ccs.sqlite' });
  });

  it('keeps an absolute SQLite path', () => {
    expect(parseDatabaseUrl('sqlite:/var/lib/ccs/ccs.sqlite', '/srv/ccs')).toEqual({
      dialect: 'sqlite',
      path: '/var/lib/ccs/ccs.sqlite',
    });
  });

  it.each(['postgres://ccs:secret@db:5432/ccs', 'postgresql://db/ccs?sslmode=require'])('takes %s as PostgreSQL', (url) => {
    expect(parseDatabaseUrl(url)).toEqual({ dialect: 'postgres', url });
  });

  it('refuses sqlite: without a path', () => {
    expect(() => parseDatabaseUrl('sqlite:')).toThrow('CCS_DATABASE_URL');
  });

  it.each([
    'mysql://ccs:hunter2@db/ccs',
    'hunter2',
    'http://ccs:hunter2@db/ccs',
    'postgres:ccs:hunter2@db',
    'postgres://ccs:hunter2@[db/ccs',
  ])('refuses %s, naming the variable but not the URL', (url) => {
    let message = '';
    try {
      parseDatabaseUrl(url);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('CCS_DATABASE_URL');
    expect(message).not.toContain(url);
    expect(message).not.toContain('hunter2');
  });
});
