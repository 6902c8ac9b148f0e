/**
 * Schema evolution rules, decided locally with Avro's own schema resolution (avsc).
 *
 * BACKWARD: a consumer on the new schema reads data written with the old one.
 * FORWARD: a consumer still on the old schema reads data written with the new one.
 * FULL: both. The project check uses FULL because consumers on v1 and on v2 of an event must
 * each read what the other version writes (docs/design.md, Compatibility rules); BACKWARD alone
 * would let a required field disappear under v1 readers.
 */
import { Type, type Schema } from 'avsc';
import { UuidLogicalType } from './uuid-logical-type';

export type CompatibilityMode = 'BACKWARD' | 'FORWARD' | 'FULL';

export interface CompatibilityVerdict {
  compatible: boolean;
  problems: string[];
}

/** Parses a schema with unions unwrapped and the `uuid` logical type enforced. */
export function parseSchema(schema: Schema): Type {
  return Type.forSchema(schema, { wrapUnions: false, logicalTypes: { uuid: UuidLogicalType } });
}

function canRead(reader: Type, writer: Type): string | null {
  try {
    reader.createResolver(writer);
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}

export function checkCompatibility(
  previous: Schema,
  next: Schema,
  mode: CompatibilityMode,
): CompatibilityVerdict {
  const oldType = parseSchema(previous);
  const newType = parseSchema(next);
  const problems: string[] = [];
  if (mode === 'BACKWARD' || mode === 'FULL') {
    const problem = canRead(newType, oldType);
    if (problem) problems.push(`new readers cannot read old data: ${problem}`);
  }
  if (mode === 'FORWARD' || mode === 'FULL') {
    const problem = canRead(oldType, newType);
    if (problem) problems.push(`old readers cannot read new data: ${problem}`);
  }
  return { compatible: problems.length === 0, problems };
}
