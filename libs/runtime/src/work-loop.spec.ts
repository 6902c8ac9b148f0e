import { describe, expect, it } from '@jest/globals';
import { WorkLoop } from './work-loop';

/** A pass whose answers are scripted; records when each pass started. */
function scriptedPass(answers: Array<boolean | Error>) {
  const started: number[] = [];
  const signals: AbortSignal[] = [];
  let onPass: (() => void) | undefined;
  const pass = (signal: AbortSignal): Promise<boolean> => {
    started.push(Date.now());
    signals.push(signal);
    onPass?.();
    const answer = answers.shift() ?? false;
    return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer);
  };
  /** Resolves once `count` passes have started. */
  const passes = (count: number) =>
    new Promise<void>((resolve) => {
      const check = () => {
        if (started.length >= count) resolve();
      };
      onPass = check;
      check();
    });
  return { pass, started, signals, passes };
}

const silentLogger = () => {
  const warnings: string[] = [];
  return { warnings, logger: { warn: (message: unknown) => void warnings.push(String(message)) } };
};

describe('WorkLoop', () => {
  it('passes again at once while passes find work, then pauses after one that found none', async () => {
    const script = scriptedPass([true, true, false]);
    const { logger } = silentLogger();
    const loop = new WorkLoop({ name: 'test pass', idleMs: 60_000, pass: script.pass, logger });
    const paused = loop.whenPaused();
    loop.start();
    // The third pass found nothing: the loop now waits out its minute.
    await paused;
    expect(script.started).toHaveLength(3);
    expect(script.started[2] - script.started[0]).toBeLessThan(1_000);
    await loop.stop();
  });

  it('waits startAfterMs before its first pass, and a stop during that wait runs no pass', async () => {
    const script = scriptedPass([false]);
    const { logger } = silentLogger();
    const began = Date.now();
    const loop = new WorkLoop({
      name: 'test pass',
      idleMs: 60_000,
      startAfterMs: 150,
      pass: script.pass,
      logger,
    });
    loop.start();
    await script.passes(1);
    expect(script.started[0] - began).toBeGreaterThanOrEqual(140);
    await loop.stop();

    const never = scriptedPass([false]);
    const stopped = new WorkLoop({
      name: 'test pass',
      idleMs: 60_000,
      startAfterMs: 60_000,
      pass: never.pass,
      logger,
    });
    stopped.start();
    await stopped.stop();
    expect(never.started).toHaveLength(0);
  });

  it('tells when passes begun after the question have ended, not counting the pass under way', async () => {
    let release: (() => void) | undefined;
    let passes = 0;
    const { logger } = silentLogger();
    const loop = new WorkLoop({
      name: 'test pass',
      idleMs: 10,
      pass: async () => {
        passes += 1;
        if (passes === 1) await new Promise<void>((resolve) => (release = resolve));
        return false;
      },
      logger,
    });
    loop.start(); // the first pass has begun once start returns
    const twoMore = loop.afterPasses(2);
    let done = false;
    void twoMore.then(() => (done = true));
    release?.();
    await twoMore;
    expect(done).toBe(true);
    // The first pass was under way when asked: two whole passes came after it.
    expect(passes).toBeGreaterThanOrEqual(3);
    await loop.stop();
  });

  it('ends the pause at once when nudged', async () => {
    const script = scriptedPass([false, false]);
    const { logger } = silentLogger();
    const loop = new WorkLoop({ name: 'test pass', idleMs: 60_000, pass: script.pass, logger });
    loop.start();
    await script.passes(1);
    loop.nudge();
    await script.passes(2);
    expect(script.started).toHaveLength(2);
    await loop.stop();
  });

  it('does not pause after a pass during which it was nudged', async () => {
    let loop: WorkLoop | undefined;
    let calls = 0;
    const second = new Promise<void>((resolve) => {
      loop = new WorkLoop({
        name: 'test pass',
        idleMs: 60_000,
        logger: silentLogger().logger,
        pass: () => {
          calls += 1;
          if (calls === 1) loop?.nudge(); // work arrives while the first pass runs
          if (calls === 2) resolve();
          return Promise.resolve(false);
        },
      });
    });
    loop?.start();
    await second;
    expect(calls).toBe(2);
    await loop?.stop();
  });

  it('logs a failed pass with its name and tries again after the pause', async () => {
    const script = scriptedPass([new Error('database down'), false]);
    const { logger, warnings } = silentLogger();
    const loop = new WorkLoop({ name: 'repair pass', idleMs: 40, pass: script.pass, logger });
    loop.start();
    await script.passes(2);
    expect(warnings).toEqual(['repair pass failed, trying again shortly: database down']);
    expect(script.started[1] - script.started[0]).toBeGreaterThanOrEqual(35);
    await loop.stop();
  });

  it('stops: the pass in progress is signalled and waited for, and none follows it', async () => {
    let entered!: () => void;
    let finishPass!: () => void;
    const inPass = new Promise<void>((resolve) => (entered = resolve));
    const signals: AbortSignal[] = [];
    const loop = new WorkLoop({
      name: 'scan poll',
      idleMs: 60_000,
      logger: silentLogger().logger,
      pass: (signal) => {
        signals.push(signal);
        entered();
        // Finds work, so only the stop keeps another pass from following.
        return new Promise<boolean>((resolve) => (finishPass = () => resolve(true)));
      },
    });
    loop.start();
    await inPass;
    let stopped = false;
    const stopping = loop.stop().then(() => (stopped = true));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(stopped).toBe(false);
    expect(signals[0]?.aborted).toBe(true);
    finishPass();
    await stopping;
    expect(signals).toHaveLength(1);
  });

  it('stops at once while pausing', async () => {
    const script = scriptedPass([false]);
    const loop = new WorkLoop({
      name: 'test pass',
      idleMs: 60_000,
      pass: script.pass,
      logger: silentLogger().logger,
    });
    loop.start();
    await script.passes(1);
    const started = Date.now();
    await loop.stop();
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(script.started).toHaveLength(1);
  });
});
