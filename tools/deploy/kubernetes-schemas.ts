/**
 * The Kubernetes and KEDA kinds the manifests under deploy/kubernetes may hold, and the two
 * checks each object meets (used by kubernetes-manifests.spec.ts):
 *
 * - its OpenAPI schema, with the validators `kubernetes-models` and `@kubernetes-models/keda`
 *   ship (types, enums, required fields, formats);
 * - no field the schema does not know. Those schemas allow any extra property, so a misspelt
 *   field (`readinessprobe`, `maxReplicas`) would pass them and show up only when applied to a
 *   cluster, if at all. The same packages' TypeScript interfaces do list every
 *   field: each object is type-checked against its interface as an object literal, whose excess
 *   property check names any field the kind does not have, at any depth.
 *
 * A kind missing from `KINDS` is an error: it is checked by neither.
 *
 * Only the unit tests load this module: the model packages are ES modules only, which Jest runs
 * as such, while `tsc` builds the tools as CommonJS.
 */
import { dirname, join } from 'node:path';
import ts from 'typescript';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ScaledObject } from '@kubernetes-models/keda/keda.sh/v1alpha1/ScaledObject';
import { TriggerAuthentication } from '@kubernetes-models/keda/keda.sh/v1alpha1/TriggerAuthentication';

/** One object of a manifest, as parsed from YAML. */
export interface ManifestObject {
  apiVersion: string;
  kind: string;
  metadata?: { name?: string; namespace?: string };
  [field: string]: unknown;
}

interface KindSpec {
  /** Throws when `object` breaks the kind's schema. */
  validate(object: ManifestObject): void;
  /** Where the kind's TypeScript interface is, for the field check. */
  typeModule: string;
  typeName: string;
}

/**
 * Wraps a model class: its constructor takes the object without a type of its own (the
 * validation is the point), hence the one cast.
 */
function modelKind(
  Model: new (data: never) => { validate(): void },
  typeModule: string,
  typeName: string,
): KindSpec {
  return {
    validate: (object) => new Model(object as never).validate(),
    typeModule,
    typeName,
  };
}

/** `apiVersion/kind` of every kind the manifests may use. */
export const KINDS: ReadonlyMap<string, KindSpec> = new Map([
  ['v1/Namespace', modelKind(Namespace, 'kubernetes-models/v1/Namespace', 'INamespace')],
  ['v1/ConfigMap', modelKind(ConfigMap, 'kubernetes-models/v1/ConfigMap', 'IConfigMap')],
  ['v1/Secret', modelKind(Secret, 'kubernetes-models/v1/Secret', 'ISecret')],
  ['v1/Service', modelKind(Service, 'kubernetes-models/v1/Service', 'IService')],
  [
    'v1/ServiceAccount',
    modelKind(ServiceAccount, 'kubernetes-models/v1/ServiceAccount', 'IServiceAccount'),
  ],
  [
    'apps/v1/Deployment',
    modelKind(Deployment, 'kubernetes-models/apps/v1/Deployment', 'IDeployment'),
  ],
  [
    'policy/v1/PodDisruptionBudget',
    modelKind(
      PodDisruptionBudget,
      'kubernetes-models/policy/v1/PodDisruptionBudget',
      'IPodDisruptionBudget',
    ),
  ],
  [
    'keda.sh/v1alpha1/ScaledObject',
    modelKind(
      ScaledObject,
      '@kubernetes-models/keda/keda.sh/v1alpha1/ScaledObject',
      'IScaledObject',
    ),
  ],
  [
    'keda.sh/v1alpha1/TriggerAuthentication',
    modelKind(
      TriggerAuthentication,
      '@kubernetes-models/keda/keda.sh/v1alpha1/TriggerAuthentication',
      'ITriggerAuthentication',
    ),
  ],
]);

export function kindKey(object: { apiVersion?: unknown; kind?: unknown }): string {
  return `${String(object.apiVersion)}/${String(object.kind)}`;
}

/** What is wrong with an object against its kind's schema, or null. */
export function schemaProblem(object: ManifestObject): string | null {
  const kind = KINDS.get(kindKey(object));
  if (!kind) return `unknown kind ${kindKey(object)}: add it to KINDS in kubernetes-schemas.ts`;
  try {
    kind.validate(object);
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}

/** An object to hold to its kind's fields; a patch only to the fields, not to what is required. */
export interface FieldCheckInput {
  label: string;
  object: ManifestObject;
  patch: boolean;
}

/**
 * The fields each object has that its kind does not, by label (labels without a problem are
 * absent). One TypeScript program checks every object at once: building it costs seconds, an
 * object more costs little. `root` is where `node_modules` is found.
 */
export function unknownFieldProblems(
  root: string,
  inputs: readonly FieldCheckInput[],
): Map<string, string[]> {
  const problems = new Map<string, string[]>();
  const add = (label: string, message: string) =>
    problems.set(label, [...(problems.get(label) ?? []), message]);
  const lines = [
    '// Objects of deploy/kubernetes, each typed as its kind (see kubernetes-schemas.ts).',
    'type Patch<T> = T extends readonly (infer E)[] ? Patch<E>[] : T extends object ? { [K in keyof T]?: Patch<T[K]> } : T;',
  ];
  const imported = new Map<string, string>();
  inputs.forEach((input, index) => {
    const kind = KINDS.get(kindKey(input.object));
    if (!kind) {
      add(input.label, `unknown kind ${kindKey(input.object)}`);
      return;
    }
    const key = `${kind.typeModule}#${kind.typeName}`;
    let alias = imported.get(key);
    if (!alias) {
      alias = `K${imported.size}`;
      imported.set(key, alias);
      lines.unshift(`import type { ${kind.typeName} as ${alias} } from '${kind.typeModule}';`);
    }
    const type = input.patch ? `Patch<${alias}>` : alias;
    lines.push(`export const object${index} = ${JSON.stringify(input.object)} satisfies ${type};`);
  });
  const source = lines.join('\n');
  const fileName = join(root, 'tools', 'deploy', '__manifest-objects__.ts');
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    types: [],
    lib: ['lib.es2022.d.ts'],
  };
  // The default host, with the generated file served from memory (nothing is written).
  const disk = ts.createCompilerHost(options);
  const host: ts.CompilerHost = {
    ...disk,
    getSourceFile: (name, version, onError, create) =>
      name === fileName
        ? ts.createSourceFile(name, source, version)
        : disk.getSourceFile(name, version, onError, create),
    fileExists: (name) => name === fileName || disk.fileExists(name),
    readFile: (name) => (name === fileName ? source : disk.readFile(name)),
    getCurrentDirectory: () => dirname(fileName),
  };
  const program = ts.createProgram([fileName], options, host);
  const file = program.getSourceFile(fileName);
  if (!file) throw new Error('the field check could not build its program');
  for (const diagnostic of ts.getPreEmitDiagnostics(program, file)) {
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
    const index = objectIndexAt(file, diagnostic.start);
    add(index === undefined ? '(field check)' : (inputs[index]?.label ?? '(field check)'), message);
  }
  return problems;
}

/** Which `objectN` statement a diagnostic's position falls in (one line per object). */
function objectIndexAt(file: ts.SourceFile, position: number | undefined): number | undefined {
  if (position === undefined) return undefined;
  const statement = file.statements.find(
    (candidate) => candidate.getStart(file) <= position && position <= candidate.getEnd(),
  );
  if (!statement || !ts.isVariableStatement(statement)) return undefined;
  const name = statement.declarationList.declarations[0]?.name.getText(file) ?? '';
  const match = /^object(\d+)$/.exec(name);
  return match ? Number(match[1]) : undefined;
}
