/** Process entry point of the `bridge-sync` command line (see `bridge-sync-cli.ts`). */
import { runCli } from './bridge-sync-cli';

void runCli(process.argv.slice(2), {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
  env: process.env,
}).then((code) => {
  process.exitCode = code;
});
