/**
 * A store for unit tests: an in-memory PGlite with every migration applied, so a test meets
 * the same schema and SQL as production without a database server. The caller destroys it.
 */
import type { DataSource } from 'typeorm';
import { createDataSource, migrateStore } from '../data-source';

export async function openEmbeddedStore(): Promise<DataSource> {
  const dataSource = createDataSource({ kind: 'pglite' });
  await dataSource.initialize();
  await migrateStore(dataSource);
  return dataSource;
}
