/**
 * How the simulated components want Bridge to authenticate (`SIM_AUTH*` variables): not at all,
 * with one static bearer token, or with OAuth2 access tokens from the simulator's own token
 * endpoint. Read by `loadSimSettings` together with the other `SIM_*` settings; what they
 * require is enforced by `ComponentAuthority`.
 */
import { z } from 'zod';

export type SimAuthSettings =
  | { kind: 'none' }
  | { kind: 'bearer'; token: string }
  | {
      kind: 'oauth2';
      clientId: string;
      clientSecret: string;
      /** Lifetime of an issued access token, short in tests to see renewals happen. */
      tokenTtlMs: number;
      /** When set, a token request must name this audience. */
      audience?: string;
    };

/** Visible ASCII: what a header carries (RFC 6750 §2.1). */
const headerSafe = z.string().regex(/^[\x21-\x7e]+$/, 'visible ASCII characters only');

export const SimAuthEnvSchema = z
  .object({
    SIM_AUTH: z.enum(['none', 'bearer', 'oauth2']).default('none'),
    SIM_AUTH_TOKEN: headerSafe.optional(),
    SIM_AUTH_CLIENT_ID: z.string().min(1).default('bridge-sync'),
    SIM_AUTH_CLIENT_SECRET: headerSafe.optional(),
    SIM_AUTH_TOKEN_TTL_MS: z.coerce.number().int().positive().default(300_000),
    SIM_AUTH_AUDIENCE: z.string().min(1).optional(),
  })
  .transform((env, ctx): SimAuthSettings => {
    switch (env.SIM_AUTH) {
      case 'none':
        return { kind: 'none' };
      case 'bearer':
        if (env.SIM_AUTH_TOKEN) return { kind: 'bearer', token: env.SIM_AUTH_TOKEN };
        ctx.addIssue({
          code: 'custom',
          path: ['SIM_AUTH_TOKEN'],
          message: 'required when SIM_AUTH=bearer',
        });
        return z.NEVER;
      case 'oauth2':
        if (env.SIM_AUTH_CLIENT_SECRET) {
          return {
            kind: 'oauth2',
            clientId: env.SIM_AUTH_CLIENT_ID,
            clientSecret: env.SIM_AUTH_CLIENT_SECRET,
            tokenTtlMs: env.SIM_AUTH_TOKEN_TTL_MS,
            audience: env.SIM_AUTH_AUDIENCE,
          };
        }
        ctx.addIssue({
          code: 'custom',
          path: ['SIM_AUTH_CLIENT_SECRET'],
          message: 'required when SIM_AUTH=oauth2',
        });
        return z.NEVER;
    }
  });
