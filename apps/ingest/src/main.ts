/** Process entry point of the ingest service. */
import 'reflect-metadata';
import { runService } from '@bridge/runtime';
import { IngestModule } from './ingest.module';

runService('ingest', (config) => IngestModule.forRoot(config));
