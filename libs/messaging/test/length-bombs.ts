/**
 * Hostile records for tests: the Confluent frame, and length bombs, small Avro bodies of an inbound topic's own schema whose array block counts or
 * string lengths claim far more than the record holds, for the unit tests of the bounded
 * decoder and the hostile-records integration test. Each body is a valid record of the topic
 * except for one field, so that what refuses it is the bound on that field and nothing else.
 */
import type { Type } from 'avsc';
import { avroTypeOf, type Topic } from '@bridge/contracts';

export interface LengthBomb {
  /** What the bomb does, e.g. `outputs: block count 2^31`. */
  label: string;
  /** The field path the refusal must name, e.g. `outputs` or `outputs[0].external_id`. */
  field: string;
  /** The Avro body (no wire-format header). */
  body: Buffer;
}

/** Confluent wire format: magic byte (0), the schema id (4 bytes, big-endian), the Avro body. */
export function framed(schemaId: number, body: Buffer, magic = 0): Buffer {
  const header = Buffer.alloc(5);
  header.writeUInt8(magic, 0);
  header.writeUInt32BE(schemaId, 1);
  return Buffer.concat([header, body]);
}

/** Avro's zig-zag varint of `value`, for any value a long can hold and beyond. */
export function varint(value: bigint): Buffer {
  let zigzag = value >= 0n ? value << 1n : (-value << 1n) - 1n;
  const bytes: number[] = [];
  do {
    let byte = Number(zigzag & 0x7fn);
    zigzag >>= 7n;
    if (zigzag > 0n) byte |= 0x80;
    bytes.push(byte);
  } while (zigzag > 0n);
  return Buffer.from(bytes);
}

const HUGE_COUNTS: Array<[string, bigint]> = [
  ['2^31 - 1', 2n ** 31n - 1n],
  ['2^53 - 1', 2n ** 53n - 1n],
];

/** A string whose length says 2^31 - 1 followed by three bytes. */
const STRING_PAST_END = Buffer.concat([varint(2n ** 31n - 1n), Buffer.from('abc')]);
const NEGATIVE_LENGTH = varint(-5n);

interface FieldOf {
  name: string;
  type: Type;
}

function fieldsOf(type: Type): FieldOf[] {
  return (type as unknown as { fields: FieldOf[] }).fields;
}

function isString(type: Type): boolean {
  return type.typeName === 'string' || type.typeName === 'logical:uuid';
}

/** The record's encoding with `raw` in place of field `name`'s bytes. */
function recordWith(type: Type, sample: Record<string, unknown>, name: string, raw: Buffer) {
  return Buffer.concat(
    fieldsOf(type).map((field) =>
      field.name === name ? raw : field.type.toBuffer(sample[field.name]),
    ),
  );
}

/** A value of `type` that encodes small: strings `x`, arrays and maps empty. */
function smallSample(type: Type): unknown {
  const name = type.typeName;
  if (name === 'record') {
    return Object.fromEntries(fieldsOf(type).map((f) => [f.name, smallSample(f.type)]));
  }
  if (name === 'array') return [];
  if (name === 'map') return {};
  if (name === 'enum') return (type as unknown as { symbols: string[] }).symbols[0];
  if (name === 'int' || name === 'long') return 1;
  if (name === 'logical:uuid') return '00000000-0000-4000-8000-000000000000';
  if (isString(type)) return 'x';
  return type.random();
}

/** Every length bomb for `topic`: one per array field and count, one per string field. */
export function lengthBombsFor(topic: Topic): LengthBomb[] {
  const type = avroTypeOf(topic);
  const sample = smallSample(type) as Record<string, unknown>;
  const bombs: LengthBomb[] = [];
  for (const field of fieldsOf(type)) {
    if (field.type.typeName === 'array') {
      for (const [label, count] of HUGE_COUNTS) {
        bombs.push({
          label: `${field.name}: block count ${label}`,
          field: field.name,
          body: recordWith(
            type,
            sample,
            field.name,
            Buffer.concat([varint(count), Buffer.from([2, 0x78])]),
          ),
        });
      }
      bombs.push({
        label: `${field.name}: negative block count -2^31 with a byte size of 4`,
        field: field.name,
        body: recordWith(
          type,
          sample,
          field.name,
          Buffer.concat([varint(-(2n ** 31n)), varint(4n), Buffer.from([2, 0x78, 2, 0x78])]),
        ),
      });
      // One item whose own string claims 2^31 bytes: the bound holds inside nested values.
      const items = (field.type as unknown as { itemsType: Type }).itemsType;
      const itemStrings = isString(items)
        ? [{ path: '[0]', raw: STRING_PAST_END }]
        : fieldsOf(items)
            .filter((itemField) => isString(itemField.type))
            .map((itemField) => ({
              path: `[0].${itemField.name}`,
              raw: recordWith(
                items,
                smallSample(items) as Record<string, unknown>,
                itemField.name,
                STRING_PAST_END,
              ),
            }));
      for (const { path, raw } of itemStrings) {
        bombs.push({
          label: `${field.name}${path}: string length 2^31 - 1 inside an item`,
          field: `${field.name}${path}`,
          body: recordWith(type, sample, field.name, Buffer.concat([varint(1n), raw, varint(0n)])),
        });
      }
    } else if (isString(field.type)) {
      bombs.push(
        {
          label: `${field.name}: string length 2^31 - 1 past the end`,
          field: field.name,
          body: recordWith(type, sample, field.name, STRING_PAST_END),
        },
        {
          label: `${field.name}: negative string length`,
          field: field.name,
          body: recordWith(type, sample, field.name, NEGATIVE_LENGTH),
        },
      );
    } else if (field.type.typeName === 'long') {
      bombs.push({
        label: `${field.name}: an overlong varint of 11 bytes`,
        field: field.name,
        body: recordWith(
          type,
          sample,
          field.name,
          Buffer.concat([Buffer.alloc(10, 0xff), Buffer.from([0x01])]),
        ),
      });
    }
  }
  return bombs;
}
