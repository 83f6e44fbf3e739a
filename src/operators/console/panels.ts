/**
 * The console's panels, one per kind of operator work, each a description of the admin methods it
 * calls (see panel-view.ts). Adding a panel for a new admin method is adding an entry here.
 */
import type { Panel, Params, Row, Values } from './panel-view.js';

/** Scope settings an operator edits as JSON: everything but the id and the times. */
const READ_ONLY_SCOPE_FIELDS = new Set(['scope_id', 'created_at', 'updated_at']);

const time = (value: unknown) => (typeof value === 'string' ? new Date(value).toLocaleString() : '—');
const list = (value: unknown) => (Array.isArray(value) ? value.join(', ') : '—');
const short = (value: unknown) => (typeof value === 'string' ? `${value.slice(0, 8)}…` : '—');

/** An account named by scope and username, as the account methods take it. */
const accountRef = (values: Values): Params => ({ scope_id: values.scope_id, username: values.username });

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
      ],
    },
    {
      id: 'accounts',
      title: 'Accounts',
      description: 'Disable an account (its sign-ins are refused and its sessions stop at once), enable it again, or end all its sessions.',
      forms: [
        {
          id: 'account-state',
          title: 'An account',
          fields: [
            { name: 'scope_id', label: 'Scope', kind: 'scope', required: true },
            { name: 'username', label: 'Username', required: true },
          ],
          actions: [
            { label: 'Disable account', method: 'disableAccount', danger: true, confirm: 'Disable this account? Its sessions stop working at once.' },
            { label: 'Enable account', method: 'enableAccount' },
            { label: 'End all sessions', method: 'revokeSessions', danger: true, confirm: 'End every session of this account?' },
          ],
          params: accountRef,
          done: (result, action) => `${action}: done for account ${String(result.account_id)}.`,
        },
      ],
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
  ];
}
