/**
 * The console's panels, one per kind of operator work, each a description of the admin methods it
 * calls (see panel-view.ts). Adding a panel for a new admin method is adding an entry here.
 */
import type { Panel, Params, Row } from './panel-view.js';

/** Scope settings an operator edits as JSON: everything but the id and the times. */
const READ_ONLY_SCOPE_FIELDS = new Set(['scope_id', 'created_at', 'updated_at']);

const time = (value: unknown) => (typeof value === 'string' ? new Date(value).toLocaleString() : '—');
const list = (value: unknown) => (Array.isArray(value) ? value.join(', ') : '—');
const short = (value: unknown) => (typeof value === 'string' ? `${value.slice(0, 8)}…` : '—');

/** A listed account, in the scope the list was read in. */
const inScope = (row: Row, query: Params): Params => ({ scope_id: query.scope_id, account_id: row.account_id });

function parseJson(text: string | undefined): Params {
  const value: unknown = JSON.parse(text ?? '{}');
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new TypeError('the settings must be a JSON object');
  return value as Params;
}

export function consolePanels(operatorScopeId: string): Panel[] {
  return [
    {
      id: 'scopes',
      title: 'Scopes',
      description: 'Every relying party this gateway serves. The operators\' scope is set by the gateway\'s configuration and cannot be edited here.',
      list: {
        caption: 'Scopes',
        method: 'listScopes',
        fields: [],
        params: () => ({}),
        rows: (result) => (result.scopes as Row[]) ?? [],
        columns: [
          { key: 'name', label: 'Name' },
          { key: 'scope_id', label: 'Scope id', mono: true },
          { key: 'rp_id', label: 'RP id' },
          { key: 'origins', label: 'Origins', format: list },
          { key: 'session_ttl', label: 'Session (s)' },
          { key: 'user_verification', label: 'User verification' },
          { key: 'wallet', label: 'Wallet' },
        ],
        rowName: (row) => `scope ${String(row.name)}`,
        actions: [
          {
            label: 'Edit',
            when: (row) => row.scope_id !== operatorScopeId,
            fill: {
              form: 'scope-edit',
              values: (row) => ({
                scope_id: String(row.scope_id),
                settings: JSON.stringify(Object.fromEntries(Object.entries(row).filter(([key]) => !READ_ONLY_SCOPE_FIELDS.has(key))), null, 2),
              }),
            },
          },
        ],
      },
      forms: [
        {
          id: 'scope-edit',
          title: 'Change a scope',
          fields: [
            { name: 'scope_id', label: 'Scope', kind: 'scope', required: true },
            { name: 'settings', label: 'Settings to change (JSON; "Edit" on a row fills them in)', kind: 'textarea', required: true },
          ],
          actions: [{ label: 'Save settings', method: 'updateScope', confirm: 'Change this scope\'s settings? Sign-ins follow them at once.' }],
          params: (values) => ({ ...parseJson(values.settings), scope_id: values.scope_id }),
          done: (result) => `Scope “${String(result.name)}” saved.`,
        },
        {
          id: 'scope-create',
          title: 'Create a scope',
          fields: [
            {
              name: 'settings',
              label: 'Settings (JSON: name, rp_id and origins at least)',
              kind: 'textarea',
              required: true,
              placeholder: '{"name": "Shop", "rp_id": "shop.example", "origins": ["https://shop.example"]}',
            },
          ],
          actions: [{ label: 'Create scope', method: 'createScope' }],
          params: (values) => parseJson(values.settings),
          done: (result) => `Scope “${String(result.name)}” created: ${String(result.scope_id)}.`,
        },
      ],
    },
    {
      id: 'accounts',
      title: 'Accounts',
      description:
        'Browse a scope\'s accounts by username. Disabling one refuses its sign-ins and stops its sessions at once; deleting one erases it with its passkeys.',
      list: {
        caption: 'Accounts',
        method: 'listAccounts',
        fields: [
          { name: 'scope_id', label: 'Scope', kind: 'scope', required: true },
          { name: 'username_prefix', label: 'Username starts with' },
        ],
        params: (values) => ({ limit: 50, ...values }),
        rows: (result) => (result.accounts as Row[]) ?? [],
        columns: [
          { key: 'username', label: 'Username' },
          { key: 'display_name', label: 'Display name' },
          { key: 'account_id', label: 'Account id', mono: true },
          { key: 'disabled', label: 'State', format: (value) => (value === true ? 'disabled' : 'enabled') },
          { key: 'created_at', label: 'Created', format: time },
        ],
        rowName: (row) => `account ${String(row.username)}`,
        next: (result, params) => (typeof result.next_cursor === 'string' ? { ...params, cursor: result.next_cursor } : null),
        actions: [
          { label: 'Passkeys', open: { panel: 'passkeys', values: (row, query) => ({ scope_id: String(query.scope_id), account_id: String(row.account_id) }) } },
          {
            label: 'Disable',
            method: 'disableAccount',
            danger: true,
            confirm: 'Disable this account? Its sign-ins are refused and its sessions stop working at once.',
            when: (row) => row.disabled !== true,
            params: inScope,
          },
          { label: 'Enable', method: 'enableAccount', when: (row) => row.disabled === true, params: inScope },
          { label: 'End sessions', method: 'revokeSessions', danger: true, confirm: 'End every session of this account?', params: inScope },
          { label: 'Delete', method: 'deleteAccount', danger: true, confirm: 'Delete this account, its passkeys and its sessions? This cannot be undone.', params: inScope },
        ],
      },
    },
    {
      id: 'passkeys',
      title: 'Passkeys',
      description: 'An account\'s passkeys. Deleting one also ends the sessions it started; an account\'s last passkey stays (delete the account instead).',
      list: {
        caption: 'Passkeys',
        method: 'listAccountCredentials',
        fields: [
          { name: 'scope_id', label: 'Scope', kind: 'scope', required: true },
          { name: 'account_id', label: 'Account id', required: true },
        ],
        params: (values) => ({ scope_id: values.scope_id, account_id: values.account_id }),
        rows: (result) => ((result.credentials as Row[]) ?? []).map((credential) => ({ ...credential, account_id: result.account_id })),
        columns: [
          { key: 'name', label: 'Name' },
          { key: 'provider', label: 'Provider' },
          { key: 'credential_id', label: 'Passkey id', mono: true, format: short },
          { key: 'created_at', label: 'Added', format: time },
          { key: 'last_used_at', label: 'Last used', format: time },
          { key: 'possibly_cloned', label: 'Possibly cloned', format: (value) => (value === true ? 'yes' : 'no') },
        ],
        rowName: (row) => `passkey ${String(row.name ?? row.credential_id)}`,
        actions: [
          {
            label: 'Delete',
            method: 'deleteAccountCredential',
            danger: true,
            confirm: 'Delete this passkey? The sessions it started end with it.',
            params: (row, query) => ({ scope_id: query.scope_id, account_id: row.account_id, credential_id: row.credential_id }),
          },
        ],
      },
    },
    {
      id: 'audit',
      title: 'Audit log',
      description: 'What happened in a scope, oldest first: sign-ins, registrations, changes by users and operators.',
      list: {
        caption: 'Audit events',
        method: 'getAuditLog',
        fields: [
          { name: 'scope_id', label: 'Scope', kind: 'scope', required: true },
          { name: 'event', label: 'Event type', placeholder: 'e.g. account_disabled' },
          { name: 'account_id', label: 'Account id' },
          { name: 'since', label: 'Since', kind: 'datetime' },
        ],
        params: (values) => ({ limit: 100, ...values }),
        rows: (result) => (result.events as Row[]) ?? [],
        columns: [
          { key: 'event_id', label: '#' },
          { key: 'occurred_at', label: 'When', format: time },
          { key: 'event', label: 'Event' },
          { key: 'account_id', label: 'Account', mono: true },
          { key: 'credential_id', label: 'Passkey', mono: true, format: short },
          { key: 'reason', label: 'Reason' },
          { key: 'client_ip', label: 'Address' },
        ],
        rowName: (row) => `event ${String(row.event_id)}`,
        next: (result, params) => (typeof result.next_after_id === 'number' ? { ...params, after_id: result.next_after_id } : null),
      },
    },
    {
      id: 'delegate-keys',
      title: 'Delegate keys',
      description: 'Public keys that may create accounts without a passkey in a scope, and act for the accounts they created.',
      list: {
        caption: 'Delegate keys',
        method: 'listDelegateKeys',
        fields: [{ name: 'scope_id', label: 'Scope', kind: 'scope', required: true }],
        params: (values) => ({ scope_id: values.scope_id }),
        rows: (result) => (result.keys as Row[]) ?? [],
        columns: [
          { key: 'name', label: 'Name' },
          { key: 'key_id', label: 'Key id', mono: true },
          { key: 'created_at', label: 'Added', format: time },
        ],
        rowName: (row) => `key ${String(row.name ?? row.key_id)}`,
        actions: [
          {
            label: 'Remove',
            method: 'removeDelegateKey',
            danger: true,
            confirm: 'Remove this key? Its signatures are refused from now on.',
            params: (row) => ({ scope_id: row.scope_id, key_id: row.key_id }),
          },
        ],
      },
      forms: [
        {
          id: 'delegate-key-add',
          title: 'Add a delegate key',
          fields: [
            { name: 'scope_id', label: 'Scope', kind: 'scope', required: true },
            { name: 'name', label: 'Name' },
            { name: 'public_key', label: 'Public key (base64 SPKI DER or PEM)', kind: 'textarea', required: true },
          ],
          actions: [{ label: 'Add key', method: 'addDelegateKey', confirm: 'Let this key create accounts in the scope?' }],
          params: (values) => ({ scope_id: values.scope_id, public_key: values.public_key, ...(values.name === undefined ? {} : { name: values.name }) }),
          done: (result) => `Key ${String(result.key_id)} added.`,
        },
      ],
    },
    {
      id: 'api-keys',
      title: 'API keys',
      description: 'Server API keys an app\'s backend manages its scope\'s accounts with. A new key\'s secret is shown once, here.',
      list: {
        caption: 'API keys',
        method: 'listApiKeys',
        fields: [{ name: 'scope_id', label: 'Scope', kind: 'scope', required: true }],
        params: (values) => ({ scope_id: values.scope_id }),
        rows: (result) => (result.keys as Row[]) ?? [],
        columns: [
          { key: 'name', label: 'Name' },
          { key: 'key_id', label: 'Key id', mono: true },
          { key: 'created_at', label: 'Created', format: time },
          { key: 'revoked_at', label: 'Revoked', format: time },
        ],
        rowName: (row) => `API key ${String(row.name)}`,
        actions: [
          {
            label: 'Revoke',
            method: 'revokeApiKey',
            danger: true,
            confirm: 'Revoke this key? Calls with it are refused from now on, on every gateway.',
            when: (row) => row.revoked_at === null,
            params: (row) => ({ scope_id: row.scope_id, key_id: row.key_id }),
          },
        ],
      },
      forms: [
        {
          id: 'api-key-create',
          title: 'Create an API key',
          fields: [
            { name: 'scope_id', label: 'Scope', kind: 'scope', required: true },
            { name: 'name', label: 'Name', required: true },
          ],
          actions: [{ label: 'Create key', method: 'createApiKey' }],
          params: (values) => ({ scope_id: values.scope_id, name: values.name }),
          done: (result) => `Key “${String(result.name)}” created. Its secret, shown this once: ${String(result.secret)}`,
        },
      ],
    },
    {
      id: 'webhooks',
      title: 'Webhooks',
      description: 'Endpoints a scope\'s events are pushed to, signed per Standard Webhooks. A new endpoint\'s signing secret is shown once, here.',
      list: {
        caption: 'Webhook endpoints',
        method: 'listWebhooks',
        fields: [{ name: 'scope_id', label: 'Scope', kind: 'scope', required: true }],
        params: (values) => ({ scope_id: values.scope_id }),
        rows: (result) => (result.webhooks as Row[]) ?? [],
        columns: [
          { key: 'url', label: 'URL', mono: true },
          { key: 'events', label: 'Events', format: (value) => (Array.isArray(value) ? value.join(', ') : 'every event') },
          { key: 'backlog', label: 'Pending / failed', format: (value) => (typeof value === 'object' && value !== null ? `${String((value as Row).pending)} / ${String((value as Row).failed)}` : '—') },
          { key: 'created_at', label: 'Added', format: time },
        ],
        rowName: (row) => `webhook ${String(row.url)}`,
        actions: [
          {
            label: 'Remove',
            method: 'removeWebhook',
            danger: true,
            confirm: 'Remove this endpoint and the deliveries still owed to it?',
            params: (row) => ({ scope_id: row.scope_id, webhook_id: row.webhook_id }),
          },
        ],
      },
      forms: [
        {
          id: 'webhook-add',
          title: 'Add an endpoint',
          fields: [
            { name: 'scope_id', label: 'Scope', kind: 'scope', required: true },
            { name: 'url', label: 'URL (https://)', required: true },
            { name: 'events', label: 'Event types, comma-separated (empty: every event)' },
          ],
          actions: [{ label: 'Add endpoint', method: 'addWebhook' }],
          params: (values) => ({
            scope_id: values.scope_id,
            url: values.url,
            ...(values.events === undefined ? {} : { events: values.events.split(',').map((event) => event.trim()).filter((event) => event !== '') }),
          }),
          done: (result) => `Endpoint ${String(result.webhook_id)} added. Its signing secret, shown this once: ${String(result.secret)}`,
        },
      ],
    },
  ];
}
