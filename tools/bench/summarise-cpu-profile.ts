/**
 * Prints where a process spent its CPU, from a profile written by `node --cpu-prof`:
 * `npx tsx tools/bench/summarise-cpu-profile.ts FILE.cpuprofile [FROM_US TO_US]` (the window in
 * monotonic microseconds, `process.hrtime.bigint() / 1000n`). The categories are the ones the
 * benchmark publishes; the functions with the most self time follow.
 */
import { readFileSync } from 'node:fs';
import { summariseCpuProfile, type CpuProfile } from './cpu-profile';

const [file, from, to] = process.argv.slice(2);
if (!file) {
  console.error(
    'usage: npx tsx tools/bench/summarise-cpu-profile.ts FILE.cpuprofile [FROM_US TO_US]',
  );
  process.exit(2);
}
const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
const window = from && to ? { fromUs: Number(from), toUs: Number(to) } : undefined;
const summary = summariseCpuProfile(profile, window, 25);
console.log(`busy: ${summary.busyMs.toFixed(0)} ms`);
for (const { name, ms } of summary.categories) {
  console.log(`${ms.toFixed(0).padStart(8)} ms  ${name}`);
}
console.log('\nmost self time:');
for (const { name, category, ms } of summary.topFunctions) {
  console.log(`${ms.toFixed(0).padStart(8)} ms  ${name}  [${category}]`);
}
