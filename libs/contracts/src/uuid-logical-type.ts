/**
 * The Avro `uuid` logical type, enforced. avsc knows no logical type by default and would take
 * any string where a schema says uuid; the store keeps event ids in `uuid` columns, so an event
 * id like "x" would pass validation and then fail the whole batch's claim in PostgreSQL, again
 * on every redelivery. Validated here, such an event is refused on its own (dead-lettered from
 * Kafka, answered 400 over HTTP) and names its field.
 */
import { randomUUID } from 'node:crypto';
import { Type, types } from 'avsc';

const UUID_TEXT = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export class UuidLogicalType extends types.LogicalType {
  /**
   * Decoded ids in lower case, the way PostgreSQL's `uuid` gives them back: a handler that
   * matches claimed ids against its events must not miss one written in capitals.
   */
  protected override _fromValue(value: unknown): unknown {
    return typeof value === 'string' ? value.toLowerCase() : value;
  }

  /** Undefined for what is not a UUID, which the underlying string type then refuses. */
  protected override _toValue(value: unknown): unknown {
    return typeof value === 'string' && UUID_TEXT.test(value) ? value : undefined;
  }

  /**
   * A random value that is valid: avsc's would be a random string, which is not a UUID. (avsc's
   * typings declare `random()` as returning a type; it returns a value.)
   */
  override random(): ReturnType<types.LogicalType['random']> {
    return randomUUID() as unknown as ReturnType<types.LogicalType['random']>;
  }

  /** Reads data written as a plain string or as a uuid, as Avro's resolution rules allow. */
  protected override _resolve(type: Type): ((value: unknown) => unknown) | undefined {
    return Type.isType(type, 'string', 'logical:uuid')
      ? (value) => this._fromValue(value)
      : undefined;
  }
}
