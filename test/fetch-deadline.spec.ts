import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fetchWithDeadline } from './fetch-deadline';

describe('fetch in integration tests', () => {
  let server: Server;
  let url: string;

  beforeAll(async () => {
    // Accepts every request and never answers.
    server = createServer(() => undefined);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('gives up on a server that never answers once the deadline passes', async () => {
    const started = Date.now();
    await expect(fetchWithDeadline(fetch, 200)(url)).rejects.toThrow(/timeout|aborted/i);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("keeps a caller's own signal", async () => {
    const own = new AbortController();
    const call = fetchWithDeadline(fetch, 60_000)(url, { signal: own.signal });
    own.abort(new Error('the caller gave up'));
    await expect(call).rejects.toThrow('the caller gave up');
  });
});
