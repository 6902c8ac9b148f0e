/**
 * The data source the TypeORM CLI uses (`npm run migration:generate -- <path/Name>`): the same
 * entities and migrations as the services, on the PostgreSQL database in `DATABASE_URL` (the
 * local stack's `bridge_sync` by default). Migrate that database first; the generated file then
 * holds exactly what the entities changed, to be reviewed and added to `migrations/index.ts`.
 */
import { createDataSource } from './data-source';

export default createDataSource({
  kind: 'postgres',
  url: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/bridge_sync',
});
