/**
 * Where a benchmarked process spends its CPU: a V8 CPU profile (`node --cpu-prof`) summed into
 * a few categories a reader can act on (the Kafka client, the HTTP client, PostgreSQL, Avro,
 * garbage collection, Bridge's own code…), counting only the samples of one time window.
 *
 * The benchmark's profiled pass (`run-bench.ts`) uses it for the table "Where Bridge's CPU
 * goes"; `tools/bench/summarise-cpu-profile.ts` prints it for any profile.
 *
 * Samples are attributed to the nearest frame that belongs to a package or to Bridge's bundle,
 * walking up from the sampled function, so that time in Node's internals or in native code
 * (a socket write, a string conversion) counts for whoever asked for it.
 */
/** The parts of a `.cpuprofile` this summary reads (Chrome DevTools protocol `Profile`). */
export interface CpuProfile {
  nodes: Array<{
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
    children?: number[];
  }>;
  /** Microseconds on the monotonic clock (`process.hrtime`'s, in µs). */
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface CpuCategory {
  name: string;
  ms: number;
}

export interface CpuSummary {
  /** CPU time sampled busy in the window (not idle), in milliseconds. */
  busyMs: number;
  categories: CpuCategory[];
  /** The functions with the most self time, with their category. */
  topFunctions: Array<{ name: string; category: string; ms: number }>;
}

/** Packages by the category they count in; anything else in `node_modules` is "other packages". */
const PACKAGE_CATEGORIES: ReadonlyArray<readonly [RegExp, string]> = [
  [/^kafkajs$/, 'Kafka client (kafkajs)'],
  [/^undici$/, 'HTTP client (undici)'],
  [/^(pg|pg-protocol|pg-pool|pg-types|postgres-.*|typeorm)$/, 'PostgreSQL (pg, typeorm)'],
  [/^(avsc|@kafkajs\/confluent-schema-registry)$/, 'Avro (avsc)'],
  [/^zod$/, 'validation (zod)'],
  [/^prom-client$/, 'metrics (prom-client)'],
  [/^(cockatiel|bottleneck)$/, 'retries and rate limits (cockatiel, bottleneck)'],
  [/^(@nestjs\/.*|rxjs|reflect-metadata)$/, 'NestJS'],
];

const BRIDGE_CODE = "Bridge's own code";
const NODE_INTERNALS = 'Node.js (event loop, streams, timers)';

function packageOf(url: string): string | null {
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  return match ? match[1] : null;
}

function categoryOfPackage(name: string): string {
  return PACKAGE_CATEGORIES.find(([pattern]) => pattern.test(name))?.[1] ?? 'other packages';
}

/**
 * Sums the profile's samples taken between `fromUs` and `toUs` (monotonic µs; the whole
 * profile when absent) by category, largest first.
 */
export function summariseCpuProfile(
  profile: CpuProfile,
  window: { fromUs: number; toUs: number } = {
    fromUs: Number.NEGATIVE_INFINITY,
    toUs: Number.POSITIVE_INFINITY,
  },
  topCount = 10,
): CpuSummary {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const parents = new Map<number, number>();
  for (const node of profile.nodes) {
    for (const child of node.children ?? []) parents.set(child, node.id);
  }
  const categoryCache = new Map<number, string>();
  const categoryOf = (id: number): string => {
    const cached = categoryCache.get(id);
    if (cached !== undefined) return cached;
    const leaf = nodes.get(id)?.callFrame.functionName;
    let category: string | undefined;
    if (leaf === '(idle)') category = '(idle)';
    else if (leaf === '(garbage collector)') category = 'garbage collection';
    for (let at: number | undefined = id; category === undefined && at !== undefined;) {
      const url = nodes.get(at)?.callFrame.url ?? '';
      const name = packageOf(url);
      if (name) category = categoryOfPackage(name);
      else if (url.includes('/dist/apps/') || url.includes('/libs/')) category = BRIDGE_CODE;
      at = parents.get(at);
    }
    category ??= NODE_INTERNALS;
    categoryCache.set(id, category);
    return category;
  };

  const byCategory = new Map<string, number>();
  const byFunction = new Map<string, { category: string; us: number }>();
  let at = profile.startTime;
  for (let i = 0; i < profile.samples.length; i += 1) {
    at += profile.timeDeltas[i] ?? 0;
    if (at < window.fromUs || at > window.toUs) continue;
    // A sample stands for the time until the next one.
    const us = profile.timeDeltas[i + 1] ?? 0;
    const id = profile.samples[i];
    const category = categoryOf(id);
    if (category === '(idle)') continue;
    byCategory.set(category, (byCategory.get(category) ?? 0) + us);
    const frame = nodes.get(id)?.callFrame;
    const name = frame ? `${frame.functionName || '(anonymous)'} ${shortUrl(frame.url)}` : '?';
    const entry = byFunction.get(name) ?? { category, us: 0 };
    entry.us += us;
    byFunction.set(name, entry);
  }
  const busyUs = [...byCategory.values()].reduce((sum, us) => sum + us, 0);
  return {
    busyMs: busyUs / 1000,
    categories: [...byCategory]
      .map(([name, us]) => ({ name, ms: us / 1000 }))
      .sort((a, b) => b.ms - a.ms),
    topFunctions: [...byFunction]
      .map(([name, { category, us }]) => ({ name, category, ms: us / 1000 }))
      .sort((a, b) => b.ms - a.ms)
      .slice(0, topCount),
  };
}

function shortUrl(url: string): string {
  if (!url) return '(native)';
  const name = packageOf(url);
  if (name) return name;
  return url.replace(/^.*\/(dist|libs)\//, '$1/');
}
