/** Process entry point of the ingest service. */
import 'reflect-metadata';
import { runService } from '@bridge/runtime';
import { IngestModule } from '@bridge/ingest';

runService('ingest', (config) => IngestModule.forRoot(config));
