/**
 * A Kafka broker of one test file only, started, restarted and stopped with
 * tools/stack/stack.sh on free ports and under its own state directory, next to the shared
 * local stack.
 *
 * For tests that need an empty broker (topic creation on a new cluster), or that publish so
 * much that the shared broker would carry it into every later test: a new consumer group
 * reads its topics from the beginning, so whatever is left on the shared broker is processed
 * again by every test that comes after.
 *
 * The shared schema registry and PostgreSQL are reused: with a registry already answering on
 * its port, `stack.sh up` leaves it alone (and this class checks that it started no registry
 * of its own); `down` only stops processes whose pid files are under the private directory.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { TcpLink } from './network/tcp-link';
import { ROOT, freePorts } from './service-processes';
import { stackEnv } from './stack-config';

const run = promisify(execFile);
const STACK = join(ROOT, 'tools', 'stack', 'stack.sh');

export class PrivateBroker {
  readonly dir = mkdtempSync(join(tmpdir(), 'bridge-private-kafka-'));
  private env?: NodeJS.ProcessEnv;
  private port = 0;
  private tcpLink?: TcpLink;

  /** `linked`: the broker advertises a `TcpLink` in front of it, which every client then crosses. */
  constructor(private readonly options: { linked?: boolean } = {}) {}

  /** `host:port` of the running broker, as clients reach it (its link, if linked). */
  get brokers(): string {
    if (this.port === 0) throw new Error('the private broker is not started');
    return `127.0.0.1:${this.tcpLink?.port ?? this.port}`;
  }

  /** The link in front of a linked broker. */
  get link(): TcpLink {
    if (!this.tcpLink) throw new Error('the private broker was not started linked');
    return this.tcpLink;
  }

  /** Starts a broker on new free ports, with empty data (the script wipes it on every start). */
  async up(): Promise<void> {
    await assertSharedRegistryAnswers();
    const [port, controllerPort, linkPort] = await freePorts(3);
    this.port = port;
    if (this.options.linked) this.tcpLink = await TcpLink.open('127.0.0.1', port, linkPort);
    this.env = {
      ...process.env,
      BRIDGE_KAFKA_PORT: String(port),
      BRIDGE_KAFKA_ADVERTISED_PORT: String(this.tcpLink?.port ?? port),
      BRIDGE_KAFKA_CONTROLLER_PORT: String(controllerPort),
      BRIDGE_STACK_DIR: this.dir,
    };
    await this.script('up');
    // Started by the script under our directory, not some other process found on the port.
    if (!existsSync(join(this.dir, 'pids', 'kafka.pid'))) {
      throw new Error(`stack.sh up did not start a broker of its own on ${this.brokers}`);
    }
    if (existsSync(join(this.dir, 'pids', 'registry.pid'))) {
      throw new Error('stack.sh up started a second registry; the shared one must be reused');
    }
  }

  /**
   * A broker restart: stops the broker and starts it again on the same ports with its data
   * (topics, records, committed offsets), as `stack.sh restart-kafka` does.
   */
  async restart(): Promise<void> {
    if (!this.env) throw new Error('the private broker is not started');
    await this.script('restart-kafka');
  }

  /** Stops the broker started under this directory, if any; nothing else. */
  async down(): Promise<void> {
    if (!this.env) return;
    await this.script('down');
  }

  /** Stops the broker, closes its link and deletes its directory (data, logs). */
  async remove(): Promise<void> {
    await this.down();
    await this.tcpLink?.close();
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** The broker's log files, this start's and the one before a restart. */
  logFiles(): string[] {
    return ['kafka.log', 'kafka.log.previous'].map((name) => join(this.dir, 'logs', name));
  }

  kafka(clientId: string): Kafka {
    return new Kafka({ clientId, brokers: [this.brokers], logLevel: logLevel.NOTHING });
  }

  private async script(command: 'up' | 'down' | 'restart-kafka'): Promise<void> {
    await runStackScript([command], this.env);
  }
}

/** Runs `tools/stack/stack.sh` with `args` under `env`; a failure carries the script's stderr. */
export async function runStackScript(
  args: readonly string[],
  env: NodeJS.ProcessEnv | undefined,
): Promise<{ stdout: string }> {
  try {
    return await run('bash', [STACK, ...args], { env, timeout: 180_000 });
  } catch (error) {
    const failed = error as Error & { stderr?: string };
    throw new Error(
      `stack.sh ${args.join(' ')} failed: ${failed.message}\n${failed.stderr ?? ''}`,
      {
        cause: error,
      },
    );
  }
}

/** With a registry answering on its port, `up` leaves it alone and `down` never stops it. */
export async function assertSharedRegistryAnswers(): Promise<void> {
  const response = await fetch(`${stackEnv().registryUrl}/subjects`);
  if (!response.ok) throw new Error(`the shared schema registry answers HTTP ${response.status}`);
}
