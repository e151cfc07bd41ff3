import { newTransactionId } from '@ccs/domain';
import { openDatabase } from '@ccs/persistence';
import { randomBytes } from 'node:crypto';
import { BenchClientKey, EC_CLIENT, RSA_CLIENT } from './workload';

export type Dialect = 'sqlite' | 'postgres';

const ROWS_PER_STATEMENT = 500;
const COLUMNS = ['transactionId', 'capsuleType', 'recipientId', 'ephemeralKeyMaterial', 'expiresAt', 'expiryAdjusted'] as const;

export interface PrefillSource {
  readonly capsuleType: Record<BenchClientKey, string>;
  readonly recipientId: Record<BenchClientKey, Buffer>;
  readonly ephemeralKeyMaterial: Record<BenchClientKey, Buffer>;
}

/**
 * Creates the schema through the migrations and inserts `count` unexpired capsules in bulk, alternately
 * addressed to the bench's EC and RSA client; returns their transaction ids by client key.
 */
export async function prefill(url: string, count: number, source: PrefillSource): Promise<Record<BenchClientKey, string[]>> {
  const database = await openDatabase(url, { migrate: true });
  const ids: Record<BenchClientKey, string[]> = { [EC_CLIENT]: [], [RSA_CLIENT]: [] };
  try {
    const { dataSource } = database;
    const metadata = dataSource.getMetadata('KeyCapsule');
    const columns = COLUMNS.map((property) => {
      const column = metadata.findColumnWithPropertyName(property);
      if (!column) throw new Error(`the KeyCapsule entity has no ${property} column`);
      return column;
    });
    const postgres = dataSource.options.type === 'postgres';
    const expiresAt = new Date(Math.floor(Date.now() / 1000) * 1000 + 365 * 86_400_000);
    for (let start = 0; start < count; start += ROWS_PER_STATEMENT) {
      const rows = Math.min(ROWS_PER_STATEMENT, count - start);
      const parameters: unknown[] = [];
      const tuples: string[] = [];
      for (let i = 0; i < rows; i++) {
        const key = (start + i) % 2 === 0 ? EC_CLIENT : RSA_CLIENT;
        const transactionId = newTransactionId();
        ids[key].push(transactionId);
        const material = key === RSA_CLIENT ? randomBytes(source.ephemeralKeyMaterial[key].length) : source.ephemeralKeyMaterial[key];
        const values = [transactionId, source.capsuleType[key], source.recipientId[key], material, expiresAt, false];
        tuples.push(`(${values.map((_, c) => (postgres ? `$${parameters.length + c + 1}` : '?')).join(', ')})`);
        values.forEach((value, c) => parameters.push(dataSource.driver.preparePersistentValue(value, columns[c])));
      }
      const names = columns.map((column) => column.databaseName).join(', ');
      await dataSource.query(`INSERT INTO ${metadata.tableName} (${names}) VALUES ${tuples.join(', ')}`, parameters);
    }
    return ids;
  } finally {
    await database.close();
  }
}
