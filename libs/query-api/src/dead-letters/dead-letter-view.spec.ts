import { TransientError, UndecodableMessageError } from '@bridge/errors';
import { decodeFailureView } from './dead-letter-view';

describe('decodeFailureView', () => {
  it('names the category and keeps what is about the bytes', () => {
    expect(
      decodeFailureView(
        new UndecodableMessageError(
          'not a canon.cache.evicted Avro body: field artifact_ids: a block of 9 items cannot fit',
        ),
      ),
    ).toBe(
      'undecodable: not a canon.cache.evicted Avro body: field artifact_ids: a block of 9 items cannot fit',
    );
  });

  it('never shows an internal address', () => {
    const shown = decodeFailureView(
      new UndecodableMessageError(
        'unknown schema id 7 for hippo.ingest.batch_completed: GET http://registry.internal:8081/apis/ccompat/v7/schemas/ids/7 failed via 10.2.3.4:8081 and [fd00::2]:8081',
      ),
    );
    expect(shown).toMatch(/^undecodable: unknown schema id 7/);
    expect(shown).not.toMatch(/registry\.internal|10\.2\.3\.4|fd00/);
    expect(decodeFailureView(new TransientError('connect ECONNREFUSED 10.2.3.4:8081'))).toBe(
      'schema registry unavailable: the payload cannot be decoded now, try again later',
    );
    expect(decodeFailureView(new Error('db at 10.9.9.9:5432 said no'))).toBe(
      'internal error: the payload could not be decoded',
    );
  });
});
