/**
 * What a correct answer to a hostile request looks like: the HTTP status the HTTP rules call for,
 * and at HTTP 200 well-formed JSON-RPC 2.0 whose errors carry a known reason and exactly the safe
 * message of that reason (so no detail, stack or input echo ever leaks).
 */
import { rpcError, rpcReasons, type RpcReason } from '../../../src/errors/gateway-error.js';
import { limits } from '../../../src/domain/limits.js';
import type { Expectation, HttpPlan } from './hostile-requests.js';

const KNOWN_REASONS = new Set<string>(rpcReasons);

/** The status the HTTP edge owes this request, in the order it checks. */
export function expectedStatuses(plan: Pick<HttpPlan, 'method' | 'headers' | 'body'>): number[] {
  const values = Object.entries(plan.headers);
  const total = values.reduce((sum, [name, value]) => sum + name.length + value.length + 4, 0);
  if (total > limits.headerBytes || values.some(([, value]) => value.length > limits.headerValueChars)) return [431];
  if (plan.method !== 'POST') return [405];
  const type = (plan.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json' && type !== 'application/json-rpc') return [415];
  if (Buffer.byteLength(plan.body, 'utf8') > limits.bodyBytes) return [413];
  return onlyNotifications(plan.body) ? [200, 204] : [200];
}

function onlyNotifications(body: string): boolean {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return false;
  }
  // A notification has no id at all; `"id": null` is a call owed an answer.
  const isNotification = (call: unknown) => call !== null && typeof call === 'object' && !Array.isArray(call) && !('id' in call);
  return Array.isArray(parsed) ? parsed.length > 0 && parsed.every(isNotification) : isNotification(parsed);
}

/** A description of what is wrong with the answer, or null when it is correct. */
export function answerProblem(status: number, text: string, allowed: number[], expect: Expectation): string | null {
  if (!allowed.includes(status)) return `HTTP ${status}, expected ${allowed.join(' or ')}: ${text.slice(0, 300)}`;
  if (status === 204) return text === '' ? null : 'HTTP 204 with a body';
  // Node answers a header block over maxHeaderSize itself, with an empty 431.
  if (status === 431 && text === '') return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return `HTTP ${status} body is not JSON: ${text.slice(0, 200)}`;
  }
  if (status !== 200) return parsed !== null && typeof parsed === 'object' && typeof (parsed as { error?: unknown }).error === 'string' ? null : `HTTP ${status} body ${text.slice(0, 200)}`;
  const replies = Array.isArray(parsed) ? parsed : [parsed];
  if (replies.length === 0) return 'empty batch answer';
  for (const reply of replies) {
    const problem = replyProblem(reply);
    if (problem !== null) return `${problem}: ${JSON.stringify(reply).slice(0, 300)}`;
  }
  if (expect.reasons !== undefined) {
    const reason = Array.isArray(parsed) ? undefined : (parsed as { error?: { data?: string } }).error?.data;
    if (reason === undefined || !expect.reasons.includes(reason)) return `reason ${String(reason)}, expected ${expect.reasons.join(' or ')}: ${text.slice(0, 300)}`;
  }
  return null;
}

function replyProblem(reply: unknown): string | null {
  if (reply === null || typeof reply !== 'object' || Array.isArray(reply)) return 'reply is not an object';
  const { jsonrpc, id, result, error } = reply as Record<string, unknown>;
  if (jsonrpc !== '2.0') return 'jsonrpc is not "2.0"';
  if (!('id' in reply)) return 'reply without id';
  if (id !== null && typeof id !== 'string' && typeof id !== 'number') return 'id of the wrong type';
  if ((result === undefined) === (error === undefined)) return 'not exactly one of result and error';
  if (error === undefined) return null;
  if (error === null || typeof error !== 'object') return 'error is not an object';
  const { code, message, data } = error as Record<string, unknown>;
  if (!Number.isInteger(code)) return 'error.code is not an integer';
  if (typeof message !== 'string' || message.length > 200) return 'error.message missing or too long';
  if (typeof data !== 'string' || !KNOWN_REASONS.has(data)) return 'error.data is not a known reason';
  const entry = rpcError(data as RpcReason);
  if (entry.code !== code || entry.message !== message) return 'error code or message differs from the error table';
  return null;
}
