/**
 * How Bridge authenticates to one component, as the component manifest declares it (`auth`),
 * and the secrets that declaration names, read once at start-up by `loadConfig`.
 *
 * The manifest is not a secret store: it names where a secret lives (an environment variable
 * or a file) and never holds the secret itself. What `loadConfig` hands on carries the secret
 * in a `Secret`, which prints as `[secret]`, so that a logged manifest or configuration object
 * cannot leak it; only the component clients' token sources (`@bridge/components`) reveal it.
 */
import { readFileSync } from 'node:fs';
import { inspect } from 'node:util';
import { z } from 'zod';

/** A credential that must not reach logs, errors or metrics: only `reveal()` gives it out. */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return '[secret]';
  }

  toJSON(): string {
    return '[secret]';
  }

  [inspect.custom](): string {
    return '[secret]';
  }
}

/**
 * Where a secret lives. Written as an object so that a secret pasted inline (a string) is
 * refused, and refused without being repeated in the error.
 */
const SecretSourceSchema = z.union(
  [
    z
      .object({
        env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name'),
      })
      .strict(),
    z.object({ file: z.string().min(1) }).strict(),
  ],
  {
    error: 'where the secret is, {"env": "VARIABLE"} or {"file": "/path"}, never the secret itself',
  },
);

export type SecretSource = z.output<typeof SecretSourceSchema>;

/** What the manifest says; `loadConfig` turns it into a `ComponentAuth` by reading the secrets. */
export const ComponentAuthSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('none') }).strict(),
  z.object({ kind: z.literal('bearer'), token: SecretSourceSchema }).strict(),
  z
    .object({
      kind: z.literal('oauth2'),
      tokenUrl: z.url({ protocol: /^https?$/ }),
      clientId: z.string().min(1),
      clientSecret: SecretSourceSchema,
      scopes: z.array(z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]+$/, 'a scope token')).default([]),
      audience: z.string().min(1).optional(),
      /**
       * How the client authenticates to the token endpoint (RFC 6749 §2.3.1): HTTP Basic, which
       * every authorization server must support, or the credentials in the form body.
       */
      clientAuthentication: z.enum(['basic', 'body']).default('basic'),
    })
    .strict(),
]);

export type DeclaredComponentAuth = z.output<typeof ComponentAuthSchema>;

export type ComponentAuth =
  | { kind: 'none' }
  | { kind: 'bearer'; token: Secret }
  | {
      kind: 'oauth2';
      tokenUrl: string;
      clientId: string;
      clientSecret: Secret;
      scopes: string[];
      audience?: string;
      clientAuthentication: 'basic' | 'body';
    };

/** A header value must not carry whitespace or control characters (RFC 6750 §2.1 b64token). */
const HEADER_SAFE = /^[\x21-\x7e]+$/;

/**
 * The secret `source` names, or a problem that names the component and the source but never
 * the secret. A file's trailing newline is not part of the secret.
 */
function readSecret(
  where: string,
  source: SecretSource,
  env: NodeJS.ProcessEnv,
): { secret: Secret } | { problem: string } {
  let value: string;
  if ('env' in source) {
    const found = env[source.env];
    if (found === undefined) return { problem: `${where}: ${source.env} is not set` };
    value = found.trim();
    if (value === '') return { problem: `${where}: ${source.env} is empty` };
  } else {
    try {
      value = readFileSync(source.file, 'utf8').trim();
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
      return { problem: `${where}: cannot read ${source.file} (${code})` };
    }
    if (value === '') return { problem: `${where}: ${source.file} is empty` };
  }
  if (!HEADER_SAFE.test(value)) {
    return { problem: `${where}: contains whitespace or control characters` };
  }
  return { secret: new Secret(value) };
}

/**
 * Reads the secrets of one component's `auth`. `where` prefixes every problem, e.g.
 * `COMPONENT_MANIFEST_FILE: hippo.auth`, so that the operator knows which component to fix.
 */
export function resolveComponentAuth(
  where: string,
  declared: DeclaredComponentAuth,
  env: NodeJS.ProcessEnv,
): { auth: ComponentAuth } | { problem: string } {
  switch (declared.kind) {
    case 'none':
      return { auth: { kind: 'none' } };
    case 'bearer': {
      const token = readSecret(`${where}.token`, declared.token, env);
      return 'problem' in token ? token : { auth: { kind: 'bearer', token: token.secret } };
    }
    case 'oauth2': {
      const secret = readSecret(`${where}.clientSecret`, declared.clientSecret, env);
      if ('problem' in secret) return secret;
      return {
        auth: {
          kind: 'oauth2',
          tokenUrl: declared.tokenUrl,
          clientId: declared.clientId,
          clientSecret: secret.secret,
          scopes: declared.scopes,
          audience: declared.audience,
          clientAuthentication: declared.clientAuthentication,
        },
      };
    }
  }
}
