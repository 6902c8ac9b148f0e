/**
 * Load for benchmarks and soak tests: many completed runs, a seeded fraction of them missing
 * exactly one output (and, if asked, a seeded fraction on a non-idempotent pipeline), published with `publishMany` either as fast as the transport takes them
 * (`batch`) or paced at an offered rate (`stream`: every tick publishes what is due).
 *
 * Each run's publish time is recorded so that a benchmark can measure the latency from a
 * component's event to Bridge's finding. `stop()` (the simulator's reset) ends a generation at
 * its next chunk.
 */
import { Topics } from '@bridge/contracts';
import type { OutgoingEvent } from '@bridge/messaging';
import { deriveSeed, seededRandom, type Random } from '../faults/seeded-random';
import type { RunOrigin } from './ground-truth';
import { DEFAULT_PIPELINES, type RunFactory } from './run-factory';
import type { ScenarioPublisher } from './scenario-publisher';
import type { GenerateBatchSpec, GenerateStreamSpec } from './scenario-specs';

export interface GenerationResult {
  runIds: string[];
  /** Per run (same order as `runIds`): when its event was handed to the transport, epoch ms. */
  publishedAt: number[];
  /** Runs that lost an output (also in the ground truth). */
  missingRunIds: string[];
  startedAt: number;
  finishedAt: number;
  /** Achieved publish rate over the whole generation. */
  ratePerSecond: number;
  /** True when the simulator was reset before the generation was done. */
  interrupted: boolean;
}

const ACTOR = 'cappella-scheduler';
const STREAM_CHUNK = 500;

export class LoadGenerator {
  private random: Random;
  private generation = 0;

  constructor(
    private readonly runs: RunFactory,
    private readonly publisher: ScenarioPublisher,
    private readonly lagMs: () => number,
    private readonly seed: number,
  ) {
    this.random = seededRandom(deriveSeed(seed, 'load'));
  }

  async batch(spec: GenerateBatchSpec): Promise<GenerationResult> {
    const generation = this.generation;
    const chunk = spec.publishChunk ?? 500;
    const result = started();
    while (result.runIds.length < spec.count && generation === this.generation) {
      const size = Math.min(chunk, spec.count - result.runIds.length);
      await this.publishNew('batch', size, spec, result);
    }
    return finished(result, generation !== this.generation);
  }

  async stream(spec: GenerateStreamSpec): Promise<GenerationResult> {
    const generation = this.generation;
    const rate = spec.ratePerSecond;
    const total = spec.count ?? Math.max(1, Math.round((rate * (spec.durationMs ?? 0)) / 1000));
    const tickMs = spec.tickMs ?? 10;
    const result = started();
    while (result.runIds.length < total && generation === this.generation) {
      const tickStart = Date.now();
      const due = Math.min(total, Math.ceil(((tickStart - result.startedAt) * rate) / 1000));
      while (result.runIds.length < due && generation === this.generation) {
        const size = Math.min(STREAM_CHUNK, due - result.runIds.length);
        await this.publishNew('stream', size, spec, result);
      }
      if (result.runIds.length >= total) break;
      await sleep(Math.max(0, tickMs - (Date.now() - tickStart)));
    }
    return finished(result, generation !== this.generation);
  }

  /** Ends running generations and restarts the seeded choices. */
  reset(): void {
    this.generation += 1;
    this.random = seededRandom(deriveSeed(this.seed, 'load'));
  }

  private async publishNew(
    origin: RunOrigin,
    count: number,
    spec: {
      outputsPerRun?: number;
      missingRate?: number;
      nonIdempotentRate?: number;
      untilSent?: boolean;
    },
    result: GenerationResult,
  ): Promise<void> {
    const outputsPerRun = spec.outputsPerRun ?? 10;
    const missingRate = spec.missingRate ?? 0.05;
    const nonIdempotentRate = spec.nonIdempotentRate ?? 0;
    const now = Date.now();
    const lagMs = this.lagMs();
    const events = new Array<OutgoingEvent<typeof Topics.CappellaRunCompleted>>(count);
    for (let i = 0; i < count; i += 1) {
      const lostIndex =
        this.random() < missingRate ? Math.floor(this.random() * outputsPerRun) : undefined;
      // Drawn only when asked for, so that generations without it keep their seeded sequence.
      const idempotent = nonIdempotentRate === 0 || this.random() >= nonIdempotentRate;
      const { run, event } = this.runs.completed({
        pipeline: DEFAULT_PIPELINES[idempotent ? 0 : 1],
        outputs: outputsPerRun,
        missing: 0,
        lostIndex,
        lagMs,
        actor: ACTOR,
        origin,
        publish: true,
        now,
      });
      if (lostIndex !== undefined) result.missingRunIds.push(run.runId);
      events[i] = { event, key: run.runId };
    }
    if (spec.untilSent)
      await this.publisher.publishRunsUntilSent(Topics.CappellaRunCompleted, events);
    else await this.publisher.publishRuns(Topics.CappellaRunCompleted, events);
    for (const { event } of events) {
      result.runIds.push(event.run_id);
      result.publishedAt.push(now);
    }
  }
}

function started(): GenerationResult {
  return {
    runIds: [],
    publishedAt: [],
    missingRunIds: [],
    startedAt: Date.now(),
    finishedAt: 0,
    ratePerSecond: 0,
    interrupted: false,
  };
}

function finished(result: GenerationResult, interrupted: boolean): GenerationResult {
  result.finishedAt = Date.now();
  const seconds = Math.max(1, result.finishedAt - result.startedAt) / 1000;
  result.ratePerSecond = Math.round(result.runIds.length / seconds);
  result.interrupted = interrupted;
  return result;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
