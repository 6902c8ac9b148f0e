/**
 * Bounded reading of untrusted Avro bodies: a walk over the bytes, led by the writer's schema,
 * that refuses a record before the decoder allocates anything for it.
 *
 * avsc trusts the lengths it reads: an array block that claims two billion items makes it
 * allocate and fill an array of that size, whatever the buffer holds, until the process runs
 * out of memory. A record of a few dozen bytes could take a consumer down, and since its offset
 * is never committed, down again after every restart. Both codecs run this walk first, so the
 * consumer loop, the dead-letter API and anything else that decodes outside bytes are covered.
 *
 * The walk allocates nothing per value. It refuses, naming the field:
 * - an array or map block whose count the remaining bytes cannot hold (at the least size one
 *   item of its type takes), or a negative block count whose byte size is negative, larger than
 *   what is left or different from what its items take;
 * - a string, bytes or fixed length past the end of the record, a negative length;
 * - a varint longer than its type allows (5 bytes for int, 10 for long) or cut off by the end;
 * - an enum or union index outside the schema;
 * - more array items and map entries in one record than `maxItems`, which also bounds items
 *   that take no bytes at all (nulls, empty records);
 * - nesting deeper than `MAX_NESTING` (a recursive schema).
 */
import type { Type } from 'avsc';
import type { DecodeLimits } from '@bridge/config';
import { UndecodableMessageError } from '@bridge/errors';

/** Records nested in records; far beyond any schema of ours, well below the stack's depth. */
const MAX_NESTING = 64;

/** Refuses records larger than the limit, before anything is read from them. */
export function checkEventSize(bytes: Buffer, limits: DecodeLimits): void {
  if (bytes.length > limits.maxEventBytes) {
    throw new UndecodableMessageError(
      `record of ${bytes.length} bytes is larger than the limit of ${limits.maxEventBytes} bytes (MAX_EVENT_BYTES)`,
    );
  }
}

/**
 * Walks `body` as an Avro value of `writer` and throws an `UndecodableMessageError` naming the
 * field when a length, count or index is one the bytes cannot back. Trailing bytes are not its
 * concern: the decoder decides about those.
 */
export function checkAvroBounds(writer: Type, body: Buffer, limits: DecodeLimits): void {
  const cursor: Cursor = { buf: body, pos: 0, items: 0, depth: 0, maxItems: limits.maxItems };
  try {
    stepFor(writer)(cursor);
  } catch (error) {
    if (!(error instanceof BoundsViolation)) throw error;
    const where = error.path.length > 0 ? `field ${formatPath(error.path)}` : 'record';
    throw new UndecodableMessageError(`${where}: ${error.message} (at byte ${error.offset})`);
  }
}

interface Cursor {
  readonly buf: Buffer;
  pos: number;
  /** Array items and map entries so far. */
  items: number;
  depth: number;
  readonly maxItems: number;
}

type Step = (cursor: Cursor) => void;

/** Thrown inside the walk; each enclosing field or item adds its name on the way out. */
class BoundsViolation extends Error {
  readonly path: string[] = [];

  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

function fail(cursor: Cursor, message: string): never {
  throw new BoundsViolation(message, cursor.pos);
}

function within(error: unknown, segment: string): unknown {
  if (error instanceof BoundsViolation) error.path.unshift(segment);
  return error;
}

function formatPath(path: readonly string[]): string {
  return path.reduce(
    (text, segment) =>
      segment.startsWith('[') || text === '' ? `${text}${segment}` : `${text}.${segment}`,
    '',
  );
}

/**
 * A zig-zag varint of at most `maxBytes` bytes. Read with float arithmetic, so a long beyond
 * 2^53 comes out inexact, which is enough for every comparison made with it here.
 */
function readVarint(cursor: Cursor, maxBytes: 5 | 10): number {
  const { buf } = cursor;
  const start = cursor.pos;
  let value = 0;
  let factor = 1;
  let byte: number;
  do {
    if (cursor.pos >= buf.length) fail(cursor, 'a number runs past the end of the record');
    if (cursor.pos - start >= maxBytes) {
      fail(cursor, `a number longer than ${maxBytes} bytes (overlong varint)`);
    }
    byte = buf[cursor.pos];
    cursor.pos += 1;
    value += (byte & 0x7f) * factor;
    factor *= 128;
  } while (byte & 0x80);
  return value % 2 === 1 ? -(value + 1) / 2 : value / 2;
}

function need(cursor: Cursor, bytes: number, what: string): void {
  const left = cursor.buf.length - cursor.pos;
  if (bytes > left) fail(cursor, `${what} of ${bytes} bytes, but only ${left} are left`);
  cursor.pos += bytes;
}

function skipLength(cursor: Cursor, what: string): void {
  const length = readVarint(cursor, 10);
  if (length < 0) fail(cursor, `negative ${what} length ${length}`);
  need(cursor, length, what);
}

/** Steps compiled once per writer type: a writer schema is parsed once and read many times. */
const compiled = new WeakMap<Type, Step>();
const minSizes = new WeakMap<Type, number>();

function stepFor(type: Type): Step {
  const known = compiled.get(type);
  if (known) return known;
  // A recursive schema could meet its own type again while compiling: it gets this forwarder,
  // which calls the step once it exists (records and unions compile their parts lazily anyway).
  compiled.set(type, (cursor) => step(cursor));
  const step = compile(type);
  compiled.set(type, step);
  return step;
}

function compile(type: Type): Step {
  const name = type.typeName;
  if (name.startsWith('logical:')) return stepFor(underlyingOf(type));
  switch (name) {
    case 'null':
      return () => undefined;
    case 'boolean':
      return (cursor) => need(cursor, 1, 'a boolean');
    case 'int':
      return (cursor) => void readVarint(cursor, 5);
    case 'long':
      return (cursor) => void readVarint(cursor, 10);
    case 'float':
      return (cursor) => need(cursor, 4, 'a float');
    case 'double':
      return (cursor) => need(cursor, 8, 'a double');
    case 'string':
      return (cursor) => skipLength(cursor, 'string');
    case 'bytes':
      return (cursor) => skipLength(cursor, 'bytes');
    case 'fixed': {
      const size = (type as unknown as { size: number }).size;
      return (cursor) => need(cursor, size, 'a fixed value');
    }
    case 'enum': {
      const symbols = (type as unknown as { symbols: string[] }).symbols.length;
      return (cursor) => {
        const index = readVarint(cursor, 5);
        if (index < 0 || index >= symbols) {
          fail(cursor, `enum index ${index} outside its ${symbols} symbols`);
        }
      };
    }
    case 'union:wrapped':
    case 'union:unwrapped':
      return unionStep((type as unknown as { types: Type[] }).types);
    case 'array': {
      const items = (type as unknown as { itemsType: Type }).itemsType;
      return blocksStep(stepFor(items), minSizeOf(items), false);
    }
    case 'map': {
      const values = (type as unknown as { valuesType: Type }).valuesType;
      const value = stepFor(values);
      const entry: Step = (cursor) => {
        skipLength(cursor, 'map key');
        value(cursor);
      };
      return blocksStep(entry, 1 + minSizeOf(values), true);
    }
    case 'record':
    case 'error':
      return recordStep(
        (type as unknown as { fields: Array<{ name: string; type: Type }> }).fields,
      );
    default:
      throw new UndecodableMessageError(
        `the writer schema has a type this reader does not know: ${name}`,
      );
  }
}

function underlyingOf(type: Type): Type {
  return (type as unknown as { underlyingType: Type }).underlyingType;
}

function unionStep(branches: readonly Type[]): Step {
  let steps: Step[] | undefined;
  return (cursor) => {
    steps ??= branches.map(stepFor);
    const index = readVarint(cursor, 10);
    if (index < 0 || index >= steps.length) {
      fail(cursor, `union branch ${index} outside its ${steps.length} branches`);
    }
    steps[index](cursor);
  };
}

function recordStep(fields: ReadonlyArray<{ name: string; type: Type }>): Step {
  let steps: Step[] | undefined;
  return (cursor) => {
    steps ??= fields.map((field) => stepFor(field.type));
    cursor.depth += 1;
    if (cursor.depth > MAX_NESTING) fail(cursor, `records nested deeper than ${MAX_NESTING}`);
    for (let i = 0; i < steps.length; i += 1) {
      try {
        steps[i](cursor);
      } catch (error) {
        throw within(error, fields[i].name);
      }
    }
    cursor.depth -= 1;
  };
}

/** Array items or map entries, in blocks: a count, for a negative count its byte size, items. */
function blocksStep(item: Step, minItemSize: number, isMap: boolean): Step {
  const noun = isMap ? 'entries' : 'items';
  return (cursor) => {
    let index = 0;
    for (;;) {
      let count = readVarint(cursor, 10);
      if (count === 0) return;
      let blockStart = -1;
      let blockEnd = -1;
      if (count < 0) {
        count = -count;
        const size = readVarint(cursor, 10);
        const left = cursor.buf.length - cursor.pos;
        if (size < 0 || size > left) {
          fail(cursor, `a block's byte size ${size} is not within the ${left} bytes left`);
        }
        blockStart = cursor.pos;
        blockEnd = cursor.pos + size;
      }
      const left = cursor.buf.length - cursor.pos;
      if (count * minItemSize > left) {
        fail(
          cursor,
          `a block of ${count} ${noun} cannot fit in the ${left} bytes left (each takes at least ${minItemSize})`,
        );
      }
      if (cursor.items + count > cursor.maxItems) {
        fail(cursor, `more than ${cursor.maxItems} array items and map entries in one record`);
      }
      cursor.items += count;
      for (let i = 0; i < count; i += 1, index += 1) {
        try {
          item(cursor);
        } catch (error) {
          throw within(error, `[${index}]`);
        }
      }
      if (blockEnd >= 0 && cursor.pos !== blockEnd) {
        fail(
          cursor,
          `a block's ${noun} took ${cursor.pos - blockStart} bytes, not the ${blockEnd - blockStart} its byte size states`,
        );
      }
    }
  };
}

/** The fewest bytes a value of `type` can take: what a block's count is checked against. */
function minSizeOf(type: Type): number {
  const known = minSizes.get(type);
  if (known !== undefined) return known;
  // A recursive type reached again counts as 0 here: it adds nothing that is certain.
  minSizes.set(type, 0);
  const size = computeMinSize(type);
  minSizes.set(type, size);
  return size;
}

function computeMinSize(type: Type): number {
  const name = type.typeName;
  if (name.startsWith('logical:')) return minSizeOf(underlyingOf(type));
  switch (name) {
    case 'null':
      return 0;
    case 'float':
      return 4;
    case 'double':
      return 8;
    case 'fixed':
      return (type as unknown as { size: number }).size;
    case 'record':
    case 'error':
      return (type as unknown as { fields: Array<{ type: Type }> }).fields.reduce(
        (sum, field) => sum + minSizeOf(field.type),
        0,
      );
    case 'union:wrapped':
    case 'union:unwrapped':
      return 1 + Math.min(...(type as unknown as { types: Type[] }).types.map(minSizeOf));
    default:
      // boolean, int, long, enum, string, bytes, array, map: at least one byte each.
      return 1;
  }
}
