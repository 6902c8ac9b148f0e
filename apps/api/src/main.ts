/** Process entry point of the api service. */
import 'reflect-metadata';
import { runService } from '@bridge/runtime';
import { ApiModule } from './api.module';
import { configureApiHttp } from './api-http';

runService('api', (config) => ApiModule.forRoot(config), configureApiHttp);
