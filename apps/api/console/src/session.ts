/**
 * The operator's session: the token they logged in with, kept in this tab's session storage
 * (gone when the tab closes), and who the API says it belongs to.
 */
import { ConsoleApi } from './api-client';
import type { Role } from './wire-types';

const TOKEN_KEY = 'bridge-console-token';

export interface Session {
  api: ConsoleApi;
  name: string;
  role: Role;
}

/** Checks the token with the API; the session, or the API's refusal as an error. */
export async function logIn(token: string): Promise<Session> {
  const api = new ConsoleApi(token.trim());
  const who = await api.whoami();
  sessionStorage.setItem(TOKEN_KEY, token.trim());
  return { api, name: who.name, role: who.role };
}

/** The session of a token logged in with earlier in this tab, if it is still accepted. */
export async function resumeSession(): Promise<Session | null> {
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (!token) return null;
  try {
    return await logIn(token);
  } catch {
    sessionStorage.removeItem(TOKEN_KEY);
    return null;
  }
}

export function logOut(): void {
  sessionStorage.removeItem(TOKEN_KEY);
}
