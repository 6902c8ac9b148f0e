/**
 * Validates an AsyncAPI document with the official parser, `@asyncapi/parser`: the AsyncAPI
 * JSON Schema (which also checks each Avro payload's structure and each Kafka binding) and the
 * parser's core rules (operations name messages of their own channel, references resolve).
 * `npm run schemas:check` runs it on docs/asyncapi.yaml; the document's unit test on the
 * document itself.
 */
import { DiagnosticSeverity, Parser, type AsyncAPIDocumentInterface } from '@asyncapi/parser';

/**
 * Diagnostics that are no fault of the document: it is 3.0.0 on purpose, and the parser points
 * out that a later version exists.
 */
const ACCEPTED_DIAGNOSTICS: ReadonlySet<string> = new Set(['asyncapi-latest-version']);

/** Severities that fail the check; information and hints do not. */
const FAULTS: ReadonlySet<number> = new Set([DiagnosticSeverity.Error, DiagnosticSeverity.Warning]);

export interface AsyncApiValidation {
  /** The parsed document; undefined when the parser found errors. */
  document: AsyncAPIDocumentInterface | undefined;
  /** One line per error or warning, naming the rule and where it applies. */
  problems: string[];
}

/** Parses `input` (YAML or JSON text, or the document itself). */
export async function validateAsyncApi(input: string | object): Promise<AsyncApiValidation> {
  const { document, diagnostics } = await new Parser().parse(
    typeof input === 'string' ? input : JSON.stringify(input),
  );
  const problems = diagnostics
    .filter(
      (diagnostic) =>
        FAULTS.has(diagnostic.severity) && !ACCEPTED_DIAGNOSTICS.has(String(diagnostic.code)),
    )
    .map(
      (diagnostic) =>
        `${String(diagnostic.code)} at ${diagnostic.path.join('/') || '(root)'}: ${diagnostic.message}`,
    );
  return { document, problems };
}
