import { Type } from 'avsc';
import fc from 'fast-check';
import { DEFAULT_DECODE_LIMITS } from '@bridge/config';
import { INBOUND_TOPICS, TopicSchemas, avroTypeOf, type Topic } from '@bridge/contracts';
import { UndecodableMessageError } from '@bridge/errors';
import { lengthBombsFor, varint } from '../test/length-bombs';
import { checkAvroBounds, checkEventSize } from './avro-bounds';
import { LocalAvroCodec } from './event-codec';

const limits = DEFAULT_DECODE_LIMITS;

function refusal(type: Type, body: Buffer, custom = limits): string {
  try {
    checkAvroBounds(type, body, custom);
  } catch (error) {
    expect(error).toBeInstanceOf(UndecodableMessageError);
    return (error as Error).message;
  }
  throw new Error('the body was accepted');
}

describe('checkAvroBounds', () => {
  it.each(Object.keys(TopicSchemas) as Topic[])('accepts random valid %s events', (topic) => {
    const type = avroTypeOf(topic);
    for (let i = 0; i < 50; i += 1) {
      const body = type.toBuffer(type.random());
      expect(() => checkAvroBounds(type, body, limits)).not.toThrow();
    }
  });

  it.each([...INBOUND_TOPICS])('refuses every length bomb of %s, naming its field', (topic) => {
    const bombs = lengthBombsFor(topic);
    expect(bombs.length).toBeGreaterThan(0);
    for (const bomb of bombs) {
      const message = refusal(avroTypeOf(topic), bomb.body);
      expect({ bomb: bomb.label, message }).toEqual({
        bomb: bomb.label,
        message: expect.stringContaining(`field ${bomb.field}:`) as unknown,
      });
    }
  });

  it('refuses a bomb through the local codec before avsc allocates (the process survives)', async () => {
    const codec = new LocalAvroCodec();
    const bomb = lengthBombsFor('cappella.run.completed').find(
      (each) => each.label === 'outputs: block count 2^31 - 1',
    );
    if (!bomb) throw new Error('no such bomb');
    await expect(codec.decode('cappella.run.completed', bomb.body)).rejects.toThrow(
      /field outputs: a block of \d+ items cannot fit/,
    );
  });

  it('names the block count and the bytes left', () => {
    const type = Type.forSchema({ type: 'array', items: 'string' });
    expect(refusal(type, Buffer.concat([varint(2n ** 31n - 1n), Buffer.from([0])]))).toBe(
      'record: a block of 2147483647 items cannot fit in the 1 bytes left (each takes at least 1) (at byte 5)',
    );
  });

  it('bounds items that take no bytes by the item cap', () => {
    const type = Type.forSchema({ type: 'array', items: 'null' });
    expect(() =>
      checkAvroBounds(type, Buffer.concat([varint(3n), varint(0n)]), limits),
    ).not.toThrow();
    expect(refusal(type, Buffer.concat([varint(2n ** 31n), varint(0n)]))).toMatch(
      /more than 100000 array items and map entries in one record/,
    );
  });

  it('counts items of every array and map of a record against one cap', () => {
    const type = Type.forSchema({
      type: 'record',
      name: 'Two',
      fields: [
        { name: 'a', type: { type: 'array', items: 'int' } },
        { name: 'b', type: { type: 'map', values: 'int' } },
      ],
    });
    const body = type.toBuffer({ a: [1, 2, 3], b: { x: 1, y: 2 } });
    expect(() => checkAvroBounds(type, body, { ...limits, maxItems: 5 })).not.toThrow();
    expect(refusal(type, body, { ...limits, maxItems: 4 })).toMatch(/^field b: more than 4/);
  });

  it('refuses nested arrays whose inner block lies', () => {
    const type = Type.forSchema({
      type: 'array',
      items: { type: 'array', items: 'long' },
    });
    const body = Buffer.concat([
      varint(2n),
      varint(1n),
      varint(7n),
      varint(0n),
      varint(2n ** 40n),
      varint(1n),
    ]);
    expect(refusal(type, body)).toMatch(/^field \[1\]: a block of 1099511627776 items/);
  });

  it('refuses a negative block count whose byte size is larger than the record or lies', () => {
    const type = Type.forSchema({ type: 'array', items: 'string' });
    expect(refusal(type, Buffer.concat([varint(-1n), varint(1_000n), varint(0n)]))).toMatch(
      /byte size 1000 is not within the 1 bytes left/,
    );
    const item = Buffer.concat([varint(2n), Buffer.from('ab')]);
    const lying = Buffer.concat([varint(-1n), varint(1n), item, varint(0n)]);
    expect(refusal(type, lying)).toMatch(/items took 3 bytes, not the 1 its byte size states/);
    const honest = Buffer.concat([varint(-1n), varint(3n), item, varint(0n)]);
    expect(() => checkAvroBounds(type, honest, limits)).not.toThrow();
  });

  it('refuses a map whose entry count is a bomb, naming the map', () => {
    const type = Type.forSchema({
      type: 'record',
      name: 'WithMap',
      fields: [{ name: 'labels', type: { type: 'map', values: 'string' } }],
    });
    expect(refusal(type, Buffer.concat([varint(2n ** 31n), varint(0n)]))).toMatch(
      /^field labels: a block of 2147483648 entries cannot fit .* at least 2\)/,
    );
  });

  it('refuses overlong varints, indexes outside enums and unions, and deep recursion', () => {
    expect(refusal(Type.forSchema('int'), Buffer.alloc(6, 0x81))).toMatch(/longer than 5 bytes/);
    expect(refusal(Type.forSchema('long'), Buffer.from([0x80]))).toMatch(/runs past the end/);
    const enumType = Type.forSchema({ type: 'enum', name: 'E', symbols: ['A', 'B'] });
    expect(refusal(enumType, varint(2n))).toMatch(/enum index 2 outside its 2 symbols/);
    expect(refusal(Type.forSchema(['null', 'string']), varint(-1n))).toMatch(/union branch -1/);
    const list = Type.forSchema({
      type: 'record',
      name: 'Node',
      fields: [{ name: 'next', type: ['null', 'Node'] }],
    });
    const deep = Buffer.concat([Buffer.alloc(100, 0x02), Buffer.from([0])]);
    expect(refusal(list, deep)).toMatch(/nested deeper than 64/);
    const shallow = Buffer.concat([Buffer.alloc(10, 0x02), Buffer.from([0])]);
    expect(() => checkAvroBounds(list, shallow, limits)).not.toThrow();
  });

  it('refuses records over the size limit before reading them', () => {
    expect(() => checkEventSize(Buffer.alloc(11), { ...limits, maxEventBytes: 10 })).toThrow(
      'record of 11 bytes is larger than the limit of 10 bytes (MAX_EVENT_BYTES)',
    );
    expect(() => checkEventSize(Buffer.alloc(10), { ...limits, maxEventBytes: 10 })).not.toThrow();
  });

  it('on arbitrary bytes only ever accepts or refuses, and what it accepts avsc reads without a bomb', () => {
    const types = [...INBOUND_TOPICS].map((topic) => avroTypeOf(topic));
    fc.assert(
      fc.property(fc.constantFrom(...types), fc.uint8Array({ maxLength: 200 }), (type, raw) => {
        const body = Buffer.from(raw);
        let accepted = true;
        try {
          checkAvroBounds(type, body, limits);
        } catch (error) {
          if (!(error instanceof UndecodableMessageError)) throw error;
          accepted = false;
        }
        if (accepted) {
          // Every length was backed by bytes: decoding cannot build more than the body holds.
          try {
            type.fromBuffer(body, undefined, true);
          } catch {
            // A wrong type or trailing bytes: the decoder's own refusal, which is fine.
          }
        }
      }),
      { numRuns: 2_000, seed: 22 },
    );
  });
});
