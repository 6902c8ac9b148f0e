/** Process entry point of the scanner service. */
import 'reflect-metadata';
import { runService } from '@bridge/runtime';
import { ScannerModule } from '@bridge/scan';

runService('scanner', (config) => ScannerModule.forRoot(config));
