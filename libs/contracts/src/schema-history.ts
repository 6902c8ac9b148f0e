/**
 * Reads the versioned Avro schemas under `schemas/<topic>/v<N>.avsc`.
 *
 * `schemas/` is the single source of truth for event shapes: the contracts code generator,
 * the schema compatibility check and the tests all read it through this module, so there is
 * exactly one rule for where a schema lives and which version is the latest.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Schema } from 'avsc';

export interface SchemaVersion {
  /** Topic (and directory) name; the registry subject is `<topic>-value`. */
  topic: string;
  version: number;
  file: string;
  schema: Schema;
}

const VERSION_FILE = /^v(\d+)\.avsc$/;

/** Versions of one topic's schema, oldest first. Throws on unreadable JSON or version gaps. */
export function readTopicHistory(topicDir: string, topic: string): SchemaVersion[] {
  const versions = readdirSync(topicDir)
    .map((file) => ({ file, match: VERSION_FILE.exec(file) }))
    .filter((entry): entry is { file: string; match: RegExpExecArray } => entry.match !== null)
    .map(({ file, match }) => {
      const path = join(topicDir, file);
      let schema: Schema;
      try {
        schema = JSON.parse(readFileSync(path, 'utf8')) as Schema;
      } catch (error) {
        throw new Error(`${path}: not valid JSON (${(error as Error).message})`, { cause: error });
      }
      return { topic, version: Number(match[1]), file: path, schema };
    })
    .sort((a, b) => a.version - b.version);
  versions.forEach((entry, index) => {
    if (entry.version !== index + 1) {
      throw new Error(`${topicDir}: schema versions must be v1..vN without gaps`);
    }
  });
  return versions;
}

/** Every topic directory under `schemasDir` with its version history. */
export function readSchemaHistories(schemasDir: string): Map<string, SchemaVersion[]> {
  const histories = new Map<string, SchemaVersion[]>();
  for (const entry of readdirSync(schemasDir).sort()) {
    const dir = join(schemasDir, entry);
    if (!statSync(dir).isDirectory()) continue;
    const history = readTopicHistory(dir, entry);
    if (history.length > 0) histories.set(entry, history);
  }
  return histories;
}
