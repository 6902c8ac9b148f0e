/**
 * What the audit log says about one admin action, decided from the route's declaration
 * (`AuditedAction`), the call (who, the path and body as sent, the client address) and, once
 * it ended, its answer or error. Pure: `AdminAudit` writes what this returns, first as a pending
 * entry before the action runs, then settled with the outcome.
 */
import { HttpException } from '@nestjs/common';
import { BridgeError } from '@bridge/errors';
import { AUDIT_PENDING, type NewAuditEntry } from '@bridge/store';
import { errorAnswer } from '../api-error.filter';
import type { Principal } from '../auth/api-credentials';

/** What an admin route does, as its `@AdminAction` declares it. */
export interface AuditedAction {
  /** e.g. `resolve`, `requeue_many`. */
  action: string;
  /** e.g. `sync_event`, `repair_job`, `dead_letter`, `scan`. */
  objectType: string;
  /**
   * Where the object's id is: a path parameter, or a field of the answer for an object the
   * action creates (a scan). None for an action on a set.
   */
  objectId?: { param: string } | { answerField: string };
  /** Keeps the request body (less its reason) in `details` under this name, e.g. `filter`. */
  bodyAs?: string;
  /** Fields of a successful answer kept in `details`: `{ name in details: field of answer }`. */
  answerFields?: Readonly<Record<string, string>>;
}

/** The call as it arrived, before validation: a refused call is audited with what it carried. */
export interface AdminCall {
  principal: Principal;
  params: Readonly<Record<string, unknown>>;
  body: unknown;
  clientAddress: string | null;
}

/** How the action ended; null while it runs. */
export type AdminActionResult = { ok: true; answer: unknown } | { ok: false; error: unknown };

/** The longest reason kept: what the API's own reason fields accept. */
export const MAX_AUDIT_REASON = 2_000;
/** Longest object id kept; a longer one was never a real id (the request is refused anyway). */
const MAX_OBJECT_ID = 200;
/** Longest request body kept, as JSON; a bigger one is noted by its size only. */
const MAX_BODY_JSON = 4_000;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Outcome codes of the HTTP refusals that are not Bridge errors (those carry their own code). */
const HTTP_OUTCOMES: Readonly<Record<number, string>> = {
  400: 'invalid_request',
  401: 'unauthenticated',
  403: 'forbidden',
  404: 'not_found',
  409: 'state_conflict',
  413: 'too_large',
  429: 'rate_limited',
};

/** The audit entry of `call` to `action`: pending while `result` is null, else settled. */
export function auditEntryOf(
  action: AuditedAction,
  call: AdminCall,
  result: AdminActionResult | null,
): NewAuditEntry {
  const details: Record<string, unknown> = {};
  if (action.bodyAs) details[action.bodyAs] = bodyDetails(call.body);
  if (result?.ok) {
    for (const [name, field] of Object.entries(action.answerFields ?? {})) {
      const value = fieldOf(result.answer, field);
      if (value !== undefined) details[name] = value;
    }
  } else if (result) {
    const { status, body } = errorAnswer(result.error);
    details.error = { status, message: messageOf(body.message) };
  }
  return {
    actor: call.principal.name,
    role: call.principal.role,
    action: action.action,
    objectType: action.objectType,
    objectId: objectIdOf(action, call, result),
    reason: reasonOf(call.body),
    clientAddress: call.clientAddress,
    outcome: result === null ? AUDIT_PENDING : result.ok ? 'ok' : outcomeOf(result.error),
    details: storable(details) as Record<string, unknown>,
  };
}

/** The short code of a refusal: a Bridge error's own code, else one for the HTTP status. */
export function outcomeOf(error: unknown): string {
  if (error instanceof BridgeError) return error.code;
  if (error instanceof HttpException) {
    return HTTP_OUTCOMES[error.getStatus()] ?? `http_${error.getStatus()}`;
  }
  return 'internal_error';
}

function objectIdOf(
  action: AuditedAction,
  call: AdminCall,
  result: AdminActionResult | null,
): string | null {
  const source = action.objectId;
  if (!source) return null;
  const value =
    'param' in source
      ? call.params[source.param]
      : result?.ok
        ? fieldOf(result.answer, source.answerField)
        : undefined;
  return typeof value === 'string' || typeof value === 'number'
    ? storableText(String(value).slice(0, MAX_OBJECT_ID))
    : null;
}

function reasonOf(body: unknown): string | null {
  const reason = isRecord(body) ? body.reason : undefined;
  if (typeof reason !== 'string' || reason.trim() === '') return null;
  return storableText(reason.trim().slice(0, MAX_AUDIT_REASON));
}

/** Deeper bodies are noted, not kept: no filter or reason nests anywhere near this. */
const MAX_BODY_DEPTH = 32;

/** Whether arrays and objects in `value` nest deeper than `limit` (an explicit stack, no recursion). */
function nestedDeeperThan(value: unknown, limit: number): boolean {
  const pending: Array<{ value: unknown; depth: number }> = [{ value, depth: 0 }];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    if (typeof next.value !== 'object' || next.value === null) continue;
    if (next.depth >= limit) return true;
    const children = Array.isArray(next.value) ? next.value : Object.values(next.value);
    for (const child of children) pending.push({ value: child, depth: next.depth + 1 });
  }
  return false;
}

/** The body less its reason (a column of its own), or a note of its size when it is too big. */
function bodyDetails(body: unknown): unknown {
  if (body === undefined || body === null) return {};
  const kept = isRecord(body)
    ? Object.fromEntries(Object.entries(body).filter(([name]) => name !== 'reason'))
    : body;
  // Measured, not left to the serialiser's stack: how deep it can go differs between Node
  // versions, and the audit entry must not. The action refuses such a body anyway.
  if (nestedDeeperThan(kept, MAX_BODY_DEPTH)) return { omitted: 'too deeply nested' };
  const json = JSON.stringify(kept) ?? 'null';
  return json.length > MAX_BODY_JSON ? { omitted_characters: json.length } : kept;
}

/**
 * The value with every text PostgreSQL can store: a NUL character (which no `text` or `jsonb`
 * value may hold) and a lone UTF-16 surrogate (which `jsonb` refuses) become U+FFFD, so that
 * hostile input is recorded rather than failing the audit, and with it the call.
 */
function storable(value: unknown): unknown {
  if (typeof value === 'string') return storableText(value);
  if (Array.isArray(value)) return value.map(storable);
  if (isRecord(value)) {
    return Object.fromEntries(
      Object.entries(value).map(([name, item]) => [storableText(name), storable(item)]),
    );
  }
  return value;
}

function storableText(text: string): string {
  return text.replaceAll('\u0000', '\uFFFD').replace(LONE_SURROGATE, '\uFFFD');
}

function fieldOf(answer: unknown, field: string): unknown {
  return isRecord(answer) ? answer[field] : undefined;
}

function messageOf(message: unknown): string {
  if (typeof message === 'string') return message;
  if (Array.isArray(message)) return message.map(String).join('; ');
  return 'refused';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
