/** Process entry point of the scanner service. */
import 'reflect-metadata';
import { runService } from '@bridge/runtime';
import { ScannerModule } from './scanner.module';

runService('scanner', (config) => ScannerModule.forRoot(config));
