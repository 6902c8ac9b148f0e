import type { DataSource } from 'typeorm';
import { openEmbeddedStore } from './testing';
import { InProcessBacklog } from './in-process-backlog';

describe('InProcessBacklog (embedded PGlite)', () => {
  let dataSource: DataSource;

  beforeAll(async () => {
    dataSource = await openEmbeddedStore();
  });

  afterAll(async () => {
    await dataSource?.destroy();
  });

  it('gives back exactly the bytes it kept, per group and in order, once', async () => {
    const backlog = new InProcessBacklog(dataSource);
    const binary = Buffer.from([0, 0, 0, 0, 7, 0xff, 0x00, 0x10]);
    const kept = [
      {
        groupId: 'bridge-checker-recheck',
        messages: [
          { topic: 'bridge.internal.checks.recheck', key: Buffer.from('run-1'), value: binary },
          { topic: 'bridge.internal.checks.recheck', key: null, value: Buffer.from('second') },
        ],
      },
      {
        groupId: 'bridge-ingest',
        messages: [{ topic: 'cappella.run.completed', key: Buffer.from('run-2'), value: null }],
      },
    ];
    await expect(backlog.save(kept)).resolves.toBe(3);

    const taken = await backlog.takeAll();
    expect(taken).toEqual(kept);
    expect(Buffer.isBuffer(taken[0].messages[0].value)).toBe(true);
    await expect(backlog.takeAll()).resolves.toEqual([]);
  });
});
