/** Process entry point of the repair service. */
import 'reflect-metadata';
import { runService } from '@bridge/runtime';
import { RepairModule } from '@bridge/repair';

runService('repair', (config) => RepairModule.forRoot(config));
