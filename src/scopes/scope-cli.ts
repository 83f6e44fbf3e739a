import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { cliConfig, isCliResult, runAsMain, type CliResult } from '../cli/cli-runner.js';
import { openStores, type Stores } from '../stores/open-stores.js';
import { scopeSettingsSchema, type Scope } from '../domain/scope.js';
import type { DelegateKey } from '../domain/delegate-key.js';
import { addDelegateKey } from '../delegation/delegate-keys.js';
import { isGatewayError } from '../errors/gateway-error.js';
import { limits } from '../domain/limits.js';
import { apiKeyInfo, apiKeyNameSchema, createApiKey, revokeApiKey } from '../api-keys/api-keys.js';
import { relatedOriginsDocument } from './related-origins.js';
import type { Config } from '../config/config.js';
import type { NewAuditEvent } from '../domain/audit-event.js';
import { webhookEventTypes, webhookEventTypeSchema } from '../domain/webhook.js';
import { loadSecret } from '../keys/secret-file.js';
import { addressClassifier } from '../webhooks/address-guard.js';
import { addWebhookEndpoint } from '../webhooks/webhook-endpoints.js';
import { webhookSecretBox } from '../webhooks/webhook-secret.js';

const USAGE = `usage: npm run scope -- <command>
  create --name N --rp-id HOST --origin URL [--origin URL …] [--rp-name N]
         [--user-verification required|preferred|discouraged] [--attestation none|direct|enterprise]
         [--resident-key required|preferred|discouraged] [--timeout-ms MS] [--algorithm ID …]
         [--session-ttl SECONDS] [--rate-limit-ip PER_MINUTE] [--rate-limit-user PER_MINUTE]
         [--reauth-window SECONDS] [--backup-eligibility-change allowed|refused]
         [--backup-eligibility any|required|forbidden] [--hints security-key,client-device,hybrid]
         [--top-origin URL …] [--aaguid-allow AAGUID,…] [--aaguid-deny AAGUID,…]
         [--wallet on|off] [--chain-id ID …] [--signing-window SECONDS] [--rate-limit-signing PER_MINUTE]
         [--recovery-codes on|off] [--second-factor-sessions refused|allowed]
  list
  show SCOPE_ID
  update SCOPE_ID [any create option; a list option replaces the whole list, an empty value clears it;
                   --chain-id any allows every chain]
  related-origins SCOPE_ID   the /.well-known/webauthn document of the scope's RP id, to host elsewhere
  delegate-key add SCOPE_ID (--public-key BASE64_SPKI | --public-key-file FILE) [--name N]
  delegate-key list SCOPE_ID
  delegate-key remove SCOPE_ID -- KEY_ID      (a key id may start with -: put -- before it)
  api-key create --scope SCOPE_ID --name N   prints the new key's secret once (only its hash is kept)
  api-key list --scope SCOPE_ID
  api-key revoke --scope SCOPE_ID KEY_ID
  webhook add --scope SCOPE_ID --url URL [--events TYPE,…]   prints {webhook_id, secret}: the secret is shown once
  webhook list --scope SCOPE_ID
  webhook remove --scope SCOPE_ID WEBHOOK_ID
Uses the same environment (DATA_DIR, DATABASE_URL, …) as the server.`;

const options = {
  name: { type: 'string' },
  'rp-id': { type: 'string' },
  'rp-name': { type: 'string' },
  origin: { type: 'string', multiple: true },
  'user-verification': { type: 'string' },
  attestation: { type: 'string' },
  'resident-key': { type: 'string' },
  'timeout-ms': { type: 'string' },
  algorithm: { type: 'string', multiple: true },
  'session-ttl': { type: 'string' },
  'rate-limit-ip': { type: 'string' },
  'rate-limit-user': { type: 'string' },
  'reauth-window': { type: 'string' },
  'backup-eligibility-change': { type: 'string' },
  'backup-eligibility': { type: 'string' },
  hints: { type: 'string' },
  'top-origin': { type: 'string', multiple: true },
  'aaguid-allow': { type: 'string' },
  'aaguid-deny': { type: 'string' },
  wallet: { type: 'string' },
  'chain-id': { type: 'string', multiple: true },
  'signing-window': { type: 'string' },
  'rate-limit-signing': { type: 'string' },
  'recovery-codes': { type: 'string' },
  'second-factor-sessions': { type: 'string' },
  'public-key': { type: 'string' },
  'public-key-file': { type: 'string' },
  scope: { type: 'string' },
  url: { type: 'string' },
  events: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Flags = ReturnType<typeof parseArgs<{ options: typeof options; allowPositionals: true }>>['values'];

/** Flags as scope settings, leaving out the ones not given (so `update` changes only those). */
function settingsFromFlags(flags: Flags): Record<string, unknown> {
  const entries: [string, unknown][] = [
    ['name', flags.name],
    ['rp_id', flags['rp-id']],
    ['rp_name', flags['rp-name']],
    ['origins', flags.origin],
    ['user_verification', flags['user-verification']],
    ['attestation', flags.attestation],
    ['resident_key', flags['resident-key']],
    ['timeout_ms', flags['timeout-ms'] === undefined ? undefined : Number(flags['timeout-ms'])],
    ['algorithms', flags.algorithm?.map(Number)],
    ['session_ttl', flags['session-ttl'] === undefined ? undefined : Number(flags['session-ttl'])],
    // `default` returns a scope to the gateway's configured limit.
    ['rate_limit_ip_per_minute', rateLimitFlag(flags['rate-limit-ip'])],
    ['rate_limit_user_per_minute', rateLimitFlag(flags['rate-limit-user'])],
    ['reauth_window_s', flags['reauth-window'] === undefined ? undefined : Number(flags['reauth-window'])],
    ['backup_eligibility_change', flags['backup-eligibility-change']],
    ['backup_eligibility', flags['backup-eligibility']],
    ['hints', listFlag(flags.hints)],
    // `--top-origin ''` clears the list.
    ['top_origins', flags['top-origin']?.filter((origin) => origin !== '')],
    ['aaguid_allow', listFlag(flags['aaguid-allow'])],
    ['aaguid_deny', listFlag(flags['aaguid-deny'])],
    ['wallet', flags.wallet],
    // `any` (alone) allows every chain again.
    ['allowed_chain_ids', flags['chain-id'] === undefined ? undefined : flags['chain-id'].join() === 'any' ? null : flags['chain-id'].map(Number)],
    ['signing_window_s', flags['signing-window'] === undefined ? undefined : Number(flags['signing-window'])],
    ['rate_limit_signing_per_minute', rateLimitFlag(flags['rate-limit-signing'])],
    ['recovery_codes', flags['recovery-codes']],
    ['second_factor_sessions', flags['second-factor-sessions']],
  ];
  return Object.fromEntries(entries.filter(([, value]) => value !== undefined));
}

/** A comma-separated flag as a list (an empty value: an empty list). */
function listFlag(value: string | undefined): string[] | undefined {
  return value?.split(',').map((item) => item.trim()).filter((item) => item !== '');
}

function rateLimitFlag(value: string | undefined): number | null | undefined {
  if (value === undefined) return undefined;
  return value === 'default' ? null : Number(value);
}

export async function runScopeCli(argv: string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true });
  } catch (error) {
    return { code: 2, stdout: '', stderr: `${error instanceof Error ? error.message : String(error)}\n${USAGE}\n` };
  }
  const [command, id, ...rest] = parsed.positionals;
  if (parsed.values.help || command === undefined) return { code: command === undefined && !parsed.values.help ? 2 : 0, stdout: '', stderr: `${USAGE}\n` };

  const config = cliConfig(env);
  if (isCliResult(config)) return config;
  const stores = await openStores(config);
  const print = (value: Scope | Scope[]) => ({ code: 0, stdout: `${JSON.stringify(value, null, 2)}\n`, stderr: '' });
  const fail = (message: string) => ({ code: 1, stdout: '', stderr: `${message}\n` });
  try {
    const store = stores.scopes;
    switch (command) {
      case 'create': {
        const settings = scopeSettingsSchema.safeParse(settingsFromFlags(parsed.values));
        if (!settings.success) return fail(z.prettifyError(settings.error));
        const { rp_name, ...rest } = settings.data;
        return print(await store.createScope({ ...rest, rp_name: rp_name ?? rest.name, scope_id: randomUUID() }));
      }
      case 'list':
        return print(await store.listScopes());
      case 'show': {
        const scope = id === undefined ? null : await store.getScope(id);
        return scope === null ? fail(`scope not found: ${id ?? '(no id given)'}`) : print(scope);
      }
      case 'update': {
        if (id === undefined) return fail('update needs a SCOPE_ID');
        const update = scopeSettingsSchema.partial().safeParse(settingsFromFlags(parsed.values));
        if (!update.success) return fail(z.prettifyError(update.error));
        // partial() keeps defaults for absent keys; only what was given may change.
        const given = settingsFromFlags(parsed.values);
        const changes = Object.fromEntries(Object.entries(update.data).filter(([key]) => key in given));
        const scope = await store.updateScope(id, changes);
        return scope === null ? fail(`scope not found: ${id}`) : print(scope);
      }
      case 'related-origins': {
        const scope = id === undefined ? null : await store.getScope(id);
        if (scope === null) return fail(`scope not found: ${id ?? '(no id given)'}`);
        // Every scope of the RP id, as the gateway itself serves it at https://<rp id>/.well-known/webauthn.
        const document = relatedOriginsDocument(await store.listScopes(), scope.rp_id);
        return { code: 0, stdout: `${JSON.stringify(document, null, 2)}\n`, stderr: '' };
      }
      case 'delegate-key':
        return await delegateKeyCommand(stores.delegates, id, rest, parsed.values);
      case 'api-key':
        return await apiKeyCommand(stores.apiKeys, id, rest, parsed.values);
      case 'webhook':
        return await webhookCommand(stores.webhooks, config, [id, ...rest].filter((arg) => arg !== undefined), parsed.values);
      default:
        return { code: 2, stdout: '', stderr: `unknown command: ${command}\n${USAGE}\n` };
    }
  } finally {
    await stores.close();
  }
}

/**
 * `delegate-key add|list|remove SCOPE_ID …`: the keys that may create accounts in a scope and act
 * for them. A change is written with its audit event (no request id: it came from the CLI).
 */
async function delegateKeyCommand(store: Stores['delegates'], action: string | undefined, args: string[], flags: Flags): Promise<CliResult> {
  const [scopeId, keyId] = args;
  const fail = (message: string, code = 1) => ({ code, stdout: '', stderr: `${message}\n` });
  const print = (value: DelegateKey | DelegateKey[] | Record<string, unknown>) => ({ code: 0, stdout: `${JSON.stringify(value, null, 2)}\n`, stderr: '' });
  if (scopeId === undefined) return fail(`delegate-key ${action ?? ''} needs a SCOPE_ID\n${USAGE}`, 2);
  const audit = (event: 'delegate_key_added' | 'delegate_key_removed', delegateKeyId: string) => cliAudit(scopeId, event, { delegate_key_id: delegateKeyId });
  switch (action) {
    case 'add': {
      const publicKey = flags['public-key'] ?? (flags['public-key-file'] === undefined ? undefined : await keyFileText(flags['public-key-file']));
      if (publicKey === undefined) return fail('delegate-key add needs --public-key or --public-key-file', 2);
      try {
        return print(await addDelegateKey(store, { scopeId, publicKey, name: flags.name ?? null, now: Date.now() }, (added) => audit('delegate_key_added', added)));
      } catch (error) {
        if (isGatewayError(error)) return fail(`${error.reason}: ${error.detail ?? error.message}`);
        throw error;
      }
    }
    case 'list':
      return print(await store.listDelegateKeys(scopeId));
    case 'remove': {
      if (keyId === undefined) return fail('delegate-key remove needs a KEY_ID', 2);
      const removed = await store.removeDelegateKey(scopeId, keyId, audit('delegate_key_removed', keyId));
      return removed ? print({ scope_id: scopeId, key_id: keyId, removed: true }) : fail(`no delegate key ${keyId} in scope ${scopeId}`);
    }
    default:
      return fail(`unknown delegate-key command: ${action ?? '(none)'}\n${USAGE}`, 2);
  }
}

/**
 * `api-key create|list|revoke --scope SCOPE_ID …`: the server API keys of a scope. The secret is
 * printed once, at creation; a change is written with its audit event (reason `cli`).
 */
async function apiKeyCommand(store: Stores['apiKeys'], action: string | undefined, args: string[], flags: Flags): Promise<CliResult> {
  const fail = (message: string, code = 1) => ({ code, stdout: '', stderr: `${message}\n` });
  const print = (value: unknown, note = '') => ({ code: 0, stdout: `${JSON.stringify(value, null, 2)}\n`, stderr: note });
  const scopeId = flags.scope?.trim().toLowerCase();
  if (scopeId === undefined || !z.uuid().safeParse(scopeId).success) return fail(`api-key ${action ?? ''} needs --scope SCOPE_ID (a UUID)\n${USAGE}`, 2);
  const audit = (event: 'api_key_created' | 'api_key_revoked', keyId: string) => cliAudit(scopeId, event, { api_key_id: keyId });
  try {
    switch (action) {
      case 'create': {
        const name = apiKeyNameSchema.safeParse(flags.name ?? '');
        if (!name.success) return fail(`api-key create needs --name N (1 to ${limits.apiKeyNameChars} characters, no control characters)`, 2);
        const created = await createApiKey(store, { scopeId, name: name.data, now: Date.now() }, (keyId) => audit('api_key_created', keyId));
        return print({ ...created.key, secret: created.secret }, 'The secret is shown this once: store it now (only its hash is kept).\n');
      }
      case 'list':
        return print((await store.listApiKeys(scopeId)).map(apiKeyInfo));
      case 'revoke': {
        const keyId = args[0]?.trim().toLowerCase();
        if (keyId === undefined || !z.uuid().safeParse(keyId).success) return fail('api-key revoke needs a KEY_ID (a UUID)', 2);
        return print(await revokeApiKey(store, { scopeId, keyId, now: Date.now() }, audit('api_key_revoked', keyId)));
      }
      default:
        return fail(`unknown api-key command: ${action ?? '(none)'}\n${USAGE}`, 2);
    }
  } catch (error) {
    if (isGatewayError(error)) return fail(`${error.reason}: ${error.detail ?? error.message}`);
    throw error;
  }
}

/** A change's audit event as the CLI writes it (no request id or address: it came from the CLI), with the columns naming what changed. */
function cliAudit(scopeId: string, event: NewAuditEvent['event'], names: Pick<NewAuditEvent, 'delegate_key_id' | 'api_key_id' | 'webhook_id'>): NewAuditEvent {
  return { scope_id: scopeId, occurred_at: new Date().toISOString(), event, account_id: null, credential_id: null, reason: 'cli', client_ip: null, request_id: null, ...names };
}

/** `webhook add|list|remove --scope SCOPE_ID …`: a scope's webhook endpoints, as the admin methods manage them. */
async function webhookCommand(store: Stores['webhooks'], config: Config, args: string[], flags: Flags): Promise<CliResult> {
  const [action, webhookId] = args;
  const fail = (message: string, code = 1) => ({ code, stdout: '', stderr: `${message}\n` });
  const print = (value: unknown) => ({ code: 0, stdout: `${JSON.stringify(value, null, 2)}\n`, stderr: '' });
  const scopeId = flags.scope;
  if (scopeId === undefined) return fail(`webhook ${action ?? ''} needs --scope SCOPE_ID\n${USAGE}`, 2);
  switch (action) {
    case 'add': {
      if (flags.url === undefined) return fail('webhook add needs --url URL', 2);
      const events = flags.events === undefined ? null : z.array(webhookEventTypeSchema).min(1).safeParse(listFlag(flags.events));
      if (events !== null && !events.success) return fail(`--events: each must be one of ${webhookEventTypes.join(', ')}`, 2);
      try {
        const added = await addWebhookEndpoint(
          {
            webhooks: store,
            webhookSecrets: webhookSecretBox(await loadSecret(config.identifierSecretFile)),
            classifyAddress: addressClassifier(),
            allowLoopbackWebhooks: config.webhooks.allowLoopback,
            now: Date.now,
          },
          { scopeId, url: flags.url, events: events?.data ?? null },
          (added) => cliAudit(scopeId, 'webhook_added', { webhook_id: added }),
        );
        return print(added);
      } catch (error) {
        if (isGatewayError(error)) return fail(`${error.reason}: ${error.detail ?? error.message}`);
        throw error;
      }
    }
    case 'list':
      return print(await store.listWebhooks(scopeId));
    case 'remove': {
      if (webhookId === undefined) return fail('webhook remove needs a WEBHOOK_ID', 2);
      const removed = await store.removeWebhook(scopeId, webhookId, cliAudit(scopeId, 'webhook_removed', { webhook_id: webhookId }));
      return removed ? print({ scope_id: scopeId, webhook_id: webhookId, removed: true }) : fail(`no webhook ${webhookId} in scope ${scopeId}`);
    }
    default:
      return fail(`unknown webhook command: ${action ?? '(none)'}\n${USAGE}`, 2);
  }
}

/** A key file as key-signer's tools write it (SPKI DER), or as PEM or base64 text. */
async function keyFileText(path: string): Promise<string> {
  const bytes = await readFile(path);
  const text = bytes.toString('utf8').trim();
  return text.includes('-----BEGIN') || /^[A-Za-z0-9+/]+=*$/.test(text) ? text : bytes.toString('base64');
}

if (import.meta.url === `file://${process.argv[1]}`) runAsMain(runScopeCli);
