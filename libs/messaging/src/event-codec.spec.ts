import { InfrastructureUnavailableError, isInfrastructureOutage } from '@bridge/errors';
import { RegistryAvroCodec } from './event-codec';

describe('RegistryAvroCodec', () => {
  it('holds, rather than refuses, a record while the registry cannot be reached', async () => {
    // Port 1 on loopback: nothing listens, the connection is refused at once.
    const codec = new RegistryAvroCodec({
      url: 'http://127.0.0.1:1/apis/ccompat/v7',
      compatibility: 'BACKWARD',
      lookupMinIntervalMs: 1_000,
    });
    const framed = Buffer.from([0, 0, 0, 0, 7, 2, 0x78]);
    const failure = await codec
      .decode('canon.cache.evicted', framed)
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(InfrastructureUnavailableError);
    expect(isInfrastructureOutage(failure)).toBe(true);
    // A listing that failed proved nothing: the next record may ask again at once.
    const again = await codec
      .decode('canon.cache.evicted', framed)
      .catch((error: unknown) => error);
    expect(again).toBeInstanceOf(InfrastructureUnavailableError);
    expect(codec.decodeCacheSizes()).toMatchObject({ readers: 0, knownIds: 0, refusedIds: 0 });
  });

  it('refuses a record over the size limit without asking the registry', async () => {
    const codec = new RegistryAvroCodec(
      {
        url: 'http://127.0.0.1:1/apis/ccompat/v7',
        compatibility: 'BACKWARD',
        lookupMinIntervalMs: 0,
      },
      { maxEventBytes: 16, maxItems: 10 },
    );
    await expect(codec.decode('canon.cache.evicted', Buffer.alloc(17))).rejects.toThrow(
      'record of 17 bytes is larger than the limit of 16 bytes (MAX_EVENT_BYTES)',
    );
    expect(codec.decodeCacheSizes().registryRequests).toBe(0);
  });
});
