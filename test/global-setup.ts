/**
 * Jest global setup for integration tests: brings up the local stack (Kafka, Apicurio registry,
 * PostgreSQL) through the project script unless it is already running, then exports its
 * coordinates to the environment the tests read.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

const STACK = join(__dirname, '..', 'tools', 'stack', 'stack.sh');

export default function globalSetup(): void {
  execFileSync('bash', [STACK, 'up'], { stdio: 'inherit' });
  const exports = execFileSync('bash', [STACK, 'env'], { encoding: 'utf8' });
  for (const match of exports.matchAll(/^export (\w+)=(.*)$/gm)) {
    process.env[match[1]] ??= match[2].replace(/^["']|["']$/g, '');
  }
}
