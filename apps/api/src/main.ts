/** Process entry point of the api service. */
import 'reflect-metadata';
import { runService } from '@bridge/runtime';
import { ApiModule } from './api.module';

runService('api', (config) => ApiModule.forRoot(config));
