/**
 * The simulator's OAuth2 token endpoint, `POST /oauth/token` (RFC 6749 §4.4, client
 * credentials), which Bridge's `OAuth2ClientCredentials` asks for access tokens when
 * `SIM_AUTH=oauth2`. The client authenticates with HTTP Basic or with `client_id` and
 * `client_secret` in the form (§2.3.1); `ComponentAuthority` decides. Not a component endpoint:
 * no faults apply, and it answers 404 under the other `SIM_AUTH` kinds.
 */
import { Controller, Inject, Post, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { ComponentAuthority, type TokenRequest } from './component-authority';

@Controller('oauth')
export class OAuthTokenController {
  constructor(@Inject(ComponentAuthority) private readonly authority: ComponentAuthority) {}

  @Post('token')
  async token(@Req() req: Request, @Res() res: Response): Promise<void> {
    // RFC 6749 §5.1: token answers, errors included, must not be cached.
    res.setHeader('Cache-Control', 'no-store');
    if (!req.is('application/x-www-form-urlencoded')) {
      res.status(400).json({
        error: 'invalid_request',
        error_description: 'the body must be application/x-www-form-urlencoded',
      });
      return;
    }
    const basic = basicCredentials(req.headers.authorization);
    const form = await formFields(req);
    const request: TokenRequest = {
      grantType: form.get('grant_type') ?? undefined,
      clientId: basic?.clientId ?? form.get('client_id') ?? undefined,
      clientSecret: basic?.clientSecret ?? form.get('client_secret') ?? undefined,
      audience: form.get('audience') ?? undefined,
      scope: form.get('scope') ?? undefined,
    };
    const decision = this.authority.issue(request);
    if (decision.kind === 'refused') {
      if (decision.status === 401 && basic) {
        res.setHeader('WWW-Authenticate', 'Basic realm="component-sim"');
      }
      res
        .status(decision.status)
        .json({ error: decision.error, error_description: decision.description });
      return;
    }
    res.status(200).json({
      access_token: decision.accessToken,
      token_type: 'Bearer',
      expires_in: decision.expiresInSeconds,
      ...(decision.scope ? { scope: decision.scope } : {}),
    });
  }
}

/** RFC 6749 §2.3.1: `Basic base64(form-encoded id ":" form-encoded secret)`. */
function basicCredentials(
  header: string | undefined,
): { clientId: string; clientSecret: string } | undefined {
  const encoded = /^Basic ([A-Za-z0-9+/=]+)$/i.exec(header ?? '')?.[1];
  if (!encoded) return undefined;
  const pair = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = pair.indexOf(':');
  if (colon === -1) return undefined;
  const decode = (part: string) => decodeURIComponent(part.replace(/\+/g, ' '));
  try {
    return { clientId: decode(pair.slice(0, colon)), clientSecret: decode(pair.slice(colon + 1)) };
  } catch {
    return undefined;
  }
}

/**
 * The form's fields. The standalone simulator parses JSON bodies only (see sim-http.ts), so the
 * form is read here; a process whose own body parser already read it (the all-in-one process)
 * left the fields in `req.body`.
 */
async function formFields(req: Request): Promise<URLSearchParams> {
  const parsed: unknown = req.body;
  if (typeof parsed === 'object' && parsed !== null && Object.keys(parsed).length > 0) {
    return new URLSearchParams(
      Object.entries(parsed).filter(
        (entry): entry is [string, string] => typeof entry[1] === 'string',
      ),
    );
  }
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}
