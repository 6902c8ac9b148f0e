/**
 * Reads the Kustomize tree under deploy/kubernetes the way `kubectl kustomize` would, for
 * kubernetes-manifests.spec.ts: every kustomization and the files it names (resources,
 * patches, configurations, generator inputs), every YAML document, and, when kubectl is
 * installed, the rendered output of a kustomization.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { ManifestObject } from './kubernetes-schemas';

/** The fields of a kustomization.yaml this check reads (Kustomize has many more). */
export interface Kustomization {
  apiVersion?: string;
  kind?: string;
  resources?: string[];
  components?: string[];
  patches?: Array<{ path?: string; patch?: string }>;
  configurations?: string[];
  configMapGenerator?: Generator[];
  secretGenerator?: Generator[];
}

export interface Generator {
  name: string;
  behavior?: string;
  envs?: string[];
  files?: string[];
}

/** A file a kustomization names, and what for. */
export interface Reference {
  /** The kustomization.yaml that names it, relative to the tree's root. */
  from: string;
  /** As written there. */
  written: string;
  /** Absolute path. */
  path: string;
  role: 'resource' | 'component' | 'patch' | 'configuration' | 'generator-env' | 'generator-file';
  /** For a generator's input: whether the generator makes a Secret. */
  secret?: boolean;
}

/** All files under `dir` whose name matches `pattern`, recursively, as absolute paths. */
export function filesUnder(dir: string, pattern: RegExp): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return filesUnder(path, pattern);
    return pattern.test(name) ? [path] : [];
  });
}

/** Every YAML document of a file, as plain data; a document that does not parse throws. */
export function yamlDocuments(path: string): unknown[] {
  return parseAllDocuments(readFileSync(path, 'utf8')).map((document) => {
    if (document.errors.length > 0) {
      throw new Error(`${path}: ${document.errors.map((error) => error.message).join('; ')}`);
    }
    return document.toJS() as unknown;
  });
}

export function readKustomization(path: string): Kustomization {
  const [document] = yamlDocuments(path);
  return document as Kustomization;
}

/** Every file `kustomizationPath` names, with what it names it for. */
export function referencesOf(root: string, kustomizationPath: string): Reference[] {
  const k = readKustomization(kustomizationPath);
  const dir = dirname(kustomizationPath);
  const from = relative(root, kustomizationPath);
  const ref = (written: string, role: Reference['role']): Reference => ({
    from,
    written,
    // `key=path` in a generator's files names the key the file becomes.
    path: resolve(dir, role === 'generator-file' ? written.replace(/^[^=]+=/, '') : written),
    role,
  });
  const inputs = (generators: Generator[] | undefined, secret: boolean) =>
    (generators ?? []).flatMap((generator) => [
      ...(generator.envs ?? []).map((written) => ({ ...ref(written, 'generator-env'), secret })),
      ...(generator.files ?? []).map((written) => ({ ...ref(written, 'generator-file'), secret })),
    ]);
  return [
    ...(k.resources ?? []).map((written) => ref(written, 'resource')),
    ...(k.components ?? []).map((written) => ref(written, 'component')),
    ...(k.patches ?? []).flatMap((patch) => (patch.path ? [ref(patch.path, 'patch')] : [])),
    ...(k.configurations ?? []).map((written) => ref(written, 'configuration')),
    ...inputs(k.configMapGenerator, false),
    ...inputs(k.secretGenerator, true),
  ];
}

/** A reference that does not lead where Kustomize needs it to, or null. */
export function brokenReference(reference: Reference): string | null {
  const where = `${reference.from}: ${reference.role} ${reference.written}`;
  if (!existsSync(reference.path)) return `${where} does not exist`;
  const isDirectory = statSync(reference.path).isDirectory();
  if (reference.role === 'resource' || reference.role === 'component') {
    if (isDirectory && !existsSync(join(reference.path, 'kustomization.yaml'))) {
      return `${where} is a directory without a kustomization.yaml`;
    }
    return null;
  }
  return isDirectory ? `${where} is a directory, not a file` : null;
}

/**
 * `KEY=value` lines of a generator's env file, as Kustomize reads them: blank lines and `#`
 * comments skipped, the value everything after the first `=`.
 */
export function envFileEntries(path: string): Map<string, string> {
  const entries = new Map<string, string>();
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const equals = trimmed.indexOf('=');
    if (equals <= 0) throw new Error(`${path}: not KEY=value: ${trimmed}`);
    entries.set(trimmed.slice(0, equals), trimmed.slice(equals + 1));
  }
  return entries;
}

/** Whether kubectl is on PATH (its `kustomize` renders the tree). */
export function kubectlAvailable(): boolean {
  return spawnSync('kubectl', ['version', '--client'], { stdio: 'ignore' }).status === 0;
}

/** `kubectl kustomize dir`, parsed; throws with kubectl's message when it fails. */
export function render(dir: string): ManifestObject[] {
  const result = spawnSync('kubectl', ['kustomize', dir], { encoding: 'utf8' });
  if (result.status !== 0) {
    throw new Error(`kubectl kustomize ${dir} failed: ${result.stderr || String(result.error)}`);
  }
  return parseAllDocuments(result.stdout).map((document) =>
    withUnfoldedSecretData(document.toJS() as ManifestObject),
  );
}

/**
 * kubectl folds a long Secret value's base64 over several lines. The API server's decoder skips
 * the line breaks; the schema's `byte` format does not, so they are taken out before checking.
 */
function withUnfoldedSecretData(object: ManifestObject): ManifestObject {
  if (object.apiVersion !== 'v1' || object.kind !== 'Secret') return object;
  const data = object.data as Record<string, string> | undefined;
  if (!data) return object;
  return {
    ...object,
    data: Object.fromEntries(
      Object.entries(data).map(([key, value]) => [key, value.replace(/[\r\n]/g, '')]),
    ),
  };
}
