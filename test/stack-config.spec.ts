import { eventually } from './stack-config';

describe('eventually', () => {
  it('keeps polling through a probe that throws, until it gives a value', async () => {
    let looks = 0;
    const value = await eventually(() => {
      looks += 1;
      if (looks < 3) throw new Error('connection reset');
      return looks === 3 ? 'ready' : undefined;
    }, 5_000);
    expect(value).toBe('ready');
    expect(looks).toBe(3);
  });

  it('fails at its deadline, naming what it waited for and the last failure', async () => {
    const waiting = eventually(
      () => Promise.reject(new Error('ECONNREFUSED 127.0.0.1:9')),
      300,
      'the service',
    );
    await expect(waiting).rejects.toThrow(
      /^timed out after 300 ms waiting for the service; the last look failed: ECONNREFUSED/,
    );
  });

  it('says only what it waited for when the last look just found nothing', async () => {
    await expect(eventually(() => undefined, 200, 'a finding')).rejects.toThrow(
      /^timed out after 200 ms waiting for a finding$/,
    );
  });
});
