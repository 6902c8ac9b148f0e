/**
 * Serves the operator console: the single-page app built from `apps/api/console` (Vite) into
 * `dist/console`, at `CONSOLE_PATH`. It is static files only; everything it shows comes from
 * the query API with the token the operator logs in with. A strict Content-Security-Policy
 * (scripts from this origin only) backs up the console's rule of showing event fields as
 * text: even a field that slipped into markup could not run a script.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Logger } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';

export const CONSOLE_PATH = '/console';

const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  // Chart.js and the components set style attributes; no stylesheet comes from elsewhere.
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');

/** Where the built console is: `dir` (`CONSOLE_DIR`), or `dist/console` below the working directory. */
export function consoleAssetsDir(dir?: string): string {
  return resolve(dir ?? join(process.cwd(), 'dist', 'console'));
}

export function mountConsole(app: NestExpressApplication, dir: string): void {
  if (!existsSync(join(dir, 'index.html'))) {
    new Logger('OperatorConsole').warn(
      `no console build in ${dir}: run \`npm run build\` (the API works without it)`,
    );
    return;
  }
  app.use(CONSOLE_PATH, (_request: Request, response: Response, next: NextFunction) => {
    response.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY);
    response.setHeader('X-Content-Type-Options', 'nosniff');
    response.setHeader('Referrer-Policy', 'no-referrer');
    next();
  });
  app.useStaticAssets(dir, { prefix: `${CONSOLE_PATH}/`, index: 'index.html', maxAge: 0 });
}
