/**
 * The component manifest: how to reach each component (Cappella, Hippo, Canon) and what it can
 * do, read from the JSON file `COMPONENT_MANIFEST_FILE` names. The checks and scans read
 * capabilities from here (e.g. whether Hippo has bulk lookup) instead of assuming them, so a
 * deployment declares its components rather than patching code.
 *
 * Secrets named by a manifest's `auth` are read once, here, at start-up: a missing variable or
 * an unreadable file stops the service, and no problem reported ever contains a secret.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ComponentAuthSchema, resolveComponentAuth, type ComponentAuth } from './component-auth';
import { DEFAULT_COMPONENT_URL } from './environment-schema';

const positiveInt = z.coerce.number().int().positive();

const ManifestSchema = z.object({
  baseUrl: z.url().default(DEFAULT_COMPONENT_URL),
  timeoutMs: positiveInt.default(5_000),
  maxConcurrency: positiveInt.default(32),
  /** Requests per second; 0 means no limit. */
  rateLimitPerSecond: z.number().int().min(0).default(0),
  retry: z
    .object({
      maxAttempts: positiveInt.default(3),
      initialDelayMs: positiveInt.default(100),
      maxDelayMs: positiveInt.default(2_000),
    })
    .prefault({}),
  circuitBreaker: z
    .object({
      consecutiveFailures: positiveInt.default(10),
      halfOpenAfterMs: positiveInt.default(5_000),
    })
    .prefault({}),
  pageSize: positiveInt.max(10_000).default(500),
  capabilities: z
    .object({
      /** Hippo: `POST /hippo/entities/lookup` exists. */
      bulkLookup: z.boolean().default(false),
      /** Largest bulk lookup the component accepts. */
      bulkLookupMax: positiveInt.default(1_000),
      /**
       * Cappella and Hippo: range digests (`GET /<component>/slots/digest` and the range
       * listings). With both declaring them, a full scan compares digests and reads only the
       * ranges that differ (docs/design.md, "Range digests").
       */
      rangeDigests: z.boolean().default(false),
      /**
       * Canon: `GET /canon/artifacts?after=&limit=` lists every cached artifact in change order.
       * With it, a full scan also reads Canon and finds artifacts of entities Hippo no longer
       * offers (docs/design.md, "Canon in scans").
       */
      artifactListing: z.boolean().default(false),
    })
    .prefault({}),
  /** How Bridge authenticates to the component (docs/component-auth.md); names secrets only. */
  auth: ComponentAuthSchema.default({ kind: 'none' }),
});

type DeclaredManifest = z.infer<typeof ManifestSchema>;

/** A manifest as the clients get it: its `auth` with the secrets it names already read. */
export interface ComponentManifest extends Omit<DeclaredManifest, 'auth'> {
  auth: ComponentAuth;
}

export const COMPONENTS = ['cappella', 'hippo', 'canon'] as const;
export type ComponentName = (typeof COMPONENTS)[number];

const ManifestFileSchema = z
  .object({
    cappella: ManifestSchema.prefault({}),
    hippo: ManifestSchema.prefault({}),
    canon: ManifestSchema.prefault({}),
  })
  .strict();

/**
 * The manifests of the file `path` names (every component's defaults without one), with the
 * secrets their `auth` names read, or null and the problems that stop the service.
 */
export function loadManifests(
  path: string | undefined,
  env: NodeJS.ProcessEnv,
): { manifests: Record<ComponentName, ComponentManifest> | null; problems: string[] } {
  const file = readManifestFile(path);
  if (file.problem) return { manifests: null, problems: [file.problem] };
  const declared = ManifestFileSchema.safeParse(file.value);
  if (!declared.success) {
    return {
      manifests: null,
      problems: declared.error.issues.map(
        (issue) => `COMPONENT_MANIFEST_FILE: ${issue.path.join('.') || '(root)'}: ${issue.message}`,
      ),
    };
  }
  return resolveManifests(declared.data, env);
}

function readManifestFile(path: string | undefined): { value?: unknown; problem?: string } {
  if (!path) return { value: {} };
  try {
    return { value: JSON.parse(readFileSync(path, 'utf8')) as unknown };
  } catch (error) {
    return { problem: `COMPONENT_MANIFEST_FILE: cannot read ${path}: ${(error as Error).message}` };
  }
}

/** Reads the secrets each manifest's `auth` names; one problem per component that cannot. */
function resolveManifests(
  declared: z.output<typeof ManifestFileSchema>,
  env: NodeJS.ProcessEnv,
): { manifests: Record<ComponentName, ComponentManifest> | null; problems: string[] } {
  const problems: string[] = [];
  const resolved: Partial<Record<ComponentName, ComponentManifest>> = {};
  for (const name of COMPONENTS) {
    const auth = resolveComponentAuth(
      `COMPONENT_MANIFEST_FILE: ${name}.auth`,
      declared[name].auth,
      env,
    );
    if ('problem' in auth) problems.push(auth.problem);
    else resolved[name] = { ...declared[name], auth: auth.auth };
  }
  const { cappella, hippo, canon } = resolved;
  return cappella && hippo && canon
    ? { manifests: { cappella, hippo, canon }, problems }
    : { manifests: null, problems };
}

export function isLoopbackHost(host: string): boolean {
  return LOOPBACK_NAMES.includes(host) || /^127\./.test(host);
}

export const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '::1'];

/**
 * Component credentials that would cross the network in clear: a token sent to, or a client
 * secret sent to a token endpoint at, an `http://` URL of another machine.
 */
export function componentCredentialsInClear(
  components: Record<ComponentName, ComponentManifest>,
): string[] {
  const inClear = (url: string) => {
    const { protocol, hostname } = new URL(url);
    return protocol === 'http:' && !isLoopbackHost(hostname.replace(/^\[|\]$/g, ''));
  };
  return COMPONENTS.flatMap((name) => {
    const { auth, baseUrl } = components[name];
    const problems: string[] = [];
    if (auth.kind !== 'none' && inClear(baseUrl)) {
      problems.push(
        `${name}: its ${auth.kind} credentials would go to ${new URL(baseUrl).host} over plain http; use https (or ALLOW_INSECURE_CREDENTIALS=true on a network you trust)`,
      );
    }
    if (auth.kind === 'oauth2' && inClear(auth.tokenUrl)) {
      problems.push(
        `${name}: its client secret would go to ${new URL(auth.tokenUrl).host} over plain http; use an https token URL (or ALLOW_INSECURE_CREDENTIALS=true on a network you trust)`,
      );
    }
    return problems;
  });
}
