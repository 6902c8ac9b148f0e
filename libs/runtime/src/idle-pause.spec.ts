import { describe, expect, it } from '@jest/globals';
import { IdlePause } from './idle-pause';

describe('IdlePause', () => {
  it('waits out its time when nothing cuts it short', async () => {
    const started = Date.now();
    await new IdlePause().wait(30);
    expect(Date.now() - started).toBeGreaterThanOrEqual(25);
  });

  it('ends at once when cut short, and a cut with no pause in progress is harmless', async () => {
    const pause = new IdlePause();
    pause.cutShort();
    const started = Date.now();
    const waiting = pause.wait(10_000);
    pause.cutShort();
    await waiting;
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});
