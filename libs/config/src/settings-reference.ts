/**
 * The settings part of `docs/configuration.md`, rendered from the environment schema: one
 * section per group of `SETTING_SECTIONS`, one entry per variable with its default, its allowed
 * values and its meaning. `npm run docs:config` writes it between the page's markers, and a unit
 * test fails when the page holds anything else, so the page cannot drift from the schema.
 */
import { z } from 'zod';
import { SETTING_SECTIONS, type SettingDoc } from './environment-schema';

export const SETTINGS_BEGIN =
  '<!-- settings: generated from libs/config/src/environment-schema.ts by `npm run docs:config`; edit the schema, not this list -->';
export const SETTINGS_END = '<!-- settings: end -->';

/** The generated settings reference, markers included. */
export function renderSettingsReference(): string {
  const sections = SETTING_SECTIONS.map(({ title, settings }) =>
    [
      `### ${title}`,
      '',
      ...Object.entries(settings as Record<string, z.ZodType>).map(([name, schema]) =>
        entryOf(name, schema),
      ),
    ].join('\n'),
  );
  return [SETTINGS_BEGIN, '', sections.join('\n\n'), '', SETTINGS_END].join('\n');
}

/** Replaces the generated part of `page` (between the markers) with the current rendering. */
export function withSettingsReference(page: string): string {
  const begin = page.indexOf(SETTINGS_BEGIN);
  const end = page.indexOf(SETTINGS_END);
  if (begin < 0 || end < begin) {
    throw new Error('the configuration page has lost its settings markers');
  }
  return page.slice(0, begin) + renderSettingsReference() + page.slice(end + SETTINGS_END.length);
}

function entryOf(name: string, schema: z.ZodType): string {
  const doc = schema.meta() as SettingDoc | undefined;
  if (!doc?.description) throw new Error(`${name} has no description in the environment schema`);
  const values = allowedValues(schema);
  const facts = [
    `default: ${doc.defaultText ?? defaultOf(schema)}`,
    ...(values ? [`one of ${values.map((v) => `\`${v}\``).join(', ')}`] : []),
  ];
  return `- **\`${name}\`** (${facts.join('; ')}): ${doc.description}`;
}

function defaultOf(schema: z.ZodType): string {
  if (!(schema instanceof z.ZodDefault)) return 'none';
  const value: unknown = schema.def.defaultValue;
  if (Array.isArray(value)) return `\`${value.join(',')}\``;
  if (typeof value === 'string' || typeof value === 'number') return `\`${value}\``;
  throw new Error(`a default of ${typeof value} needs a defaultText`);
}

/** The values an enum setting takes, looking through `optional` and `default`. */
function allowedValues(schema: z.ZodType): string[] | undefined {
  let inner: z.ZodType = schema;
  while (inner instanceof z.ZodDefault || inner instanceof z.ZodOptional) {
    inner = inner.unwrap() as z.ZodType;
  }
  return inner instanceof z.ZodEnum ? (inner.options as string[]) : undefined;
}
