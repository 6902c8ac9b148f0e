/** Process entry point of the repair service. */
import 'reflect-metadata';
import { runService } from '@bridge/runtime';
import { RepairModule } from './repair.module';

runService('repair', (config) => RepairModule.forRoot(config));
