/** Process entry point of the api service. */
import 'reflect-metadata';
import { runService } from '@bridge/runtime';
import { ApiModule } from './api.module';
import { mountApiDocs } from './openapi';

runService('api', (config) => ApiModule.forRoot(config), mountApiDocs);
