import { describe, expect, it } from '@jest/globals';
import { summariseCpuProfile, type CpuProfile } from './cpu-profile';

const frame = (functionName: string, url = '') => ({ functionName, url, lineNumber: 0 });

/**
 * root ─┬─ (idle)
 *       ├─ (garbage collector)
 *       ├─ runBatch (Bridge) ── request (undici) ── writev (native)
 *       └─ processTicks (node) ── send (kafkajs)
 */
const profile = (samples: number[], timeDeltas: number[]): CpuProfile => ({
  nodes: [
    { id: 1, callFrame: frame('(root)'), children: [2, 3, 4, 7] },
    { id: 2, callFrame: frame('(idle)') },
    { id: 3, callFrame: frame('(garbage collector)') },
    { id: 4, callFrame: frame('runBatch', 'file:///srv/dist/apps/checker/main.js'), children: [5] },
    {
      id: 5,
      callFrame: frame('request', 'file:///srv/node_modules/undici/lib/api/api-request.js'),
      children: [6],
    },
    { id: 6, callFrame: frame('writev') },
    { id: 7, callFrame: frame('processTicks', 'node:internal/process/task_queues'), children: [8] },
    {
      id: 8,
      callFrame: frame('send', 'file:///srv/node_modules/kafkajs/src/network/connection.js'),
    },
  ],
  startTime: 1_000,
  endTime: 1_000 + timeDeltas.reduce((sum, d) => sum + d, 0),
  samples,
  timeDeltas,
});

describe('CPU profile summary', () => {
  it('counts native time for the package that asked for it, and leaves idle time out', () => {
    // Each sample lasts until the next: writev 3 ms, GC 1 ms, kafkajs 2 ms, idle 5 ms.
    const summary = summariseCpuProfile(profile([6, 3, 8, 2, 6], [0, 3_000, 1_000, 2_000, 5_000]));
    expect(summary.categories).toEqual([
      { name: 'HTTP client (undici)', ms: 3 },
      { name: 'Kafka client (kafkajs)', ms: 2 },
      { name: 'garbage collection', ms: 1 },
    ]);
    expect(summary.busyMs).toBe(6);
    expect(summary.topFunctions[0]).toEqual({
      name: 'writev (native)',
      category: 'HTTP client (undici)',
      ms: 3,
    });
  });

  it('counts only the samples inside the window', () => {
    // Samples at 1,000, 2,000, 3,000 and 4,000 µs, each lasting 1 ms (the last one nothing).
    const summary = summariseCpuProfile(profile([4, 8, 8, 3], [0, 1_000, 1_000, 1_000]), {
      fromUs: 1_500,
      toUs: 3_500,
    });
    expect(summary.categories).toEqual([{ name: 'Kafka client (kafkajs)', ms: 2 }]);
  });

  it("calls a sample in Bridge's bundle with no package beneath it Bridge's own code", () => {
    const summary = summariseCpuProfile(profile([4, 2], [0, 4_000]));
    expect(summary.categories).toEqual([{ name: "Bridge's own code", ms: 4 }]);
  });
});
