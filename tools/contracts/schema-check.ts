/**
 * The project's own schema check, as a pure function over a schemas directory: every schema
 * parses, carries the event envelope, and each version is FULL-compatible (backward and forward)
 * with the version before it. `check-schemas.ts` is the command around it.
 */
import { checkCompatibility, parseSchema } from '../../libs/contracts/src/schema-compatibility';
import { readSchemaHistories } from '../../libs/contracts/src/schema-history';

export interface SchemaCheckReport {
  checked: number;
  problems: string[];
}

const ENVELOPE_FIELDS = ['event_id', 'occurred_at'];

export function checkSchemasDir(schemasDir: string): SchemaCheckReport {
  const problems: string[] = [];
  let checked = 0;
  let histories;
  try {
    histories = readSchemaHistories(schemasDir);
  } catch (error) {
    return { checked, problems: [(error as Error).message] };
  }
  for (const [topic, history] of histories) {
    history.forEach((current, index) => {
      checked += 1;
      try {
        parseSchema(current.schema);
      } catch (error) {
        problems.push(`${current.file}: not a valid Avro schema: ${(error as Error).message}`);
        return;
      }
      const fields = new Set(
        ((current.schema as { fields?: Array<{ name: string }> }).fields ?? []).map((f) => f.name),
      );
      for (const field of ENVELOPE_FIELDS) {
        if (!fields.has(field)) problems.push(`${current.file}: missing envelope field ${field}`);
      }
      if (index === 0) return;
      const previous = history[index - 1];
      try {
        const verdict = checkCompatibility(previous.schema, current.schema, 'FULL');
        for (const problem of verdict.problems) {
          problems.push(`${topic} v${previous.version} -> v${current.version}: ${problem}`);
        }
      } catch (error) {
        problems.push(
          `${topic} v${previous.version}: not a valid Avro schema: ${(error as Error).message}`,
        );
      }
    });
  }
  return { checked, problems };
}
