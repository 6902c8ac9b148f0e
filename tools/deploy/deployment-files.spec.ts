/**
 * The deployment files as shipped (Dockerfile, docker-compose.yml): what they may expose and
 * how the services run in them. Nothing here starts a container; it reads the files a
 * `docker compose up` would use and holds them to what the security document promises.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

const ROOT = join(__dirname, '..', '..');
const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');

interface ComposeFile {
  services: Record<string, { ports?: string[]; environment?: Record<string, string> }>;
  'x-bridge-env': Record<string, string>;
}

describe('docker-compose.yml', () => {
  const compose = parse(read('docker-compose.yml'), { merge: true }) as ComposeFile;

  it('publishes every port on 127.0.0.1 only', () => {
    const published = Object.entries(compose.services).flatMap(([name, service]) =>
      (service.ports ?? []).map((port) => ({ name, port })),
    );
    expect(published.length).toBeGreaterThan(0);
    for (const { name, port } of published) {
      expect({ name, port }).toEqual({
        name,
        port: expect.stringMatching(/^127\.0\.0\.1:\d+:\d+$/) as unknown,
      });
    }
  });

  it('requires the passwords and the API tokens instead of defaulting them', () => {
    const text = read('docker-compose.yml');
    expect(text).not.toMatch(/POSTGRES_PASSWORD:-/);
    expect(compose.services.postgres.environment?.POSTGRES_PASSWORD).toBe(
      '${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD}',
    );
    expect(compose['x-bridge-env'].DATABASE_URL).toContain(
      '${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD}',
    );
    expect(compose.services.api.environment?.API_TOKENS).toBe('${API_TOKENS:?set API_TOKENS}');
    expect(compose.services.grafana.environment?.GF_SECURITY_ADMIN_PASSWORD).toBe(
      '${GRAFANA_ADMIN_PASSWORD:?set GRAFANA_ADMIN_PASSWORD}',
    );
  });
});

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile');
  const stages = dockerfile.split(/^FROM /m).slice(1);

  it('runs the services as an unprivileged user', () => {
    const final = stages[stages.length - 1];
    const user = /^USER\s+(\S+)/m.exec(final);
    expect(user?.[1]).toBeDefined();
    expect(['root', '0']).not.toContain(user?.[1]);
  });

  it('builds and runs on the current Node LTS line', () => {
    for (const stage of stages) expect(stage).toMatch(/^node:26-/);
  });
});
