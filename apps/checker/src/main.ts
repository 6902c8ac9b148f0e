/** Process entry point of the checker service. */
import 'reflect-metadata';
import { runService } from '@bridge/runtime';
import { CheckerModule } from '@bridge/checks';

runService('checker', (config) => CheckerModule.forRoot(config));
