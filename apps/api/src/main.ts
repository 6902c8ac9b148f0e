/** Process entry point of the api service. */
import 'reflect-metadata';
import { runService } from '@bridge/runtime';
import { ApiModule, configureApiHttp } from '@bridge/query-api';

runService('api', (config) => ApiModule.forRoot(config), configureApiHttp);
