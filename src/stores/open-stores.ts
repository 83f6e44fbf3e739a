import { join } from 'node:path';
import type { Config } from '../config/config.js';
import { sqlAccountStore, type AccountStore } from './account-store.js';
import { sqlApiKeyStore, type ApiKeyStore } from './api-key-store.js';
import { sqlAuditLogStore, type AuditLogStore } from './audit-log-store.js';
import { sqlDelegateStore, type DelegateStore } from './delegate-store.js';
import type { ChallengeStore } from './challenge-store.js';
import { MemoryChallengeStore, type ChallengeEviction } from './memory-challenge-store.js';
import { rateLimitCounters, type RateLimitCounters } from './rate-limit-counters.js';
import { RedisChallengeStore } from './redis-challenge-store.js';
import { createConfiguredRedis } from './redis-clients.js';
import { redisKeySpace } from './redis-keys.js';
import { sqlOperatorInviteStore, type OperatorInviteStore } from './operator-invite-store.js';
import { sqlScopeStore, type ScopeStore } from './scope-store.js';
import { sqlSessionStore, type SessionStore } from './session-store.js';
import { sqlTokenStore, type TokenStore } from './token-store.js';
import { sqlRecoveryCodeStore, type RecoveryCodeStore } from './recovery-code-store.js';
import { sqlWebhookStore, type WebhookStore } from './webhook-store.js';
import { openPostgresDatabase } from '../sql/postgres-database.js';
import type { SqlDatabase } from '../sql/sql-database.js';
import { openSqliteDatabase } from '../sql/sqlite-database.js';
import { migrations } from './migrations.js';

/** The stores kept in the SQL database. */
export interface SqlStores {
  scopes: ScopeStore;
  accounts: AccountStore;
  auditLog: AuditLogStore;
  sessions: SessionStore;
  delegates: DelegateStore;
  apiKeys: ApiKeyStore;
  tokens: TokenStore;
  recoveryCodes: RecoveryCodeStore;
  operatorInvites: OperatorInviteStore;
  webhooks: WebhookStore;
}

/** A backend several stores share: reachable or not, open or closed, as a whole. */
export interface Backend {
  /** Answers when the backend is reachable; throws otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface Stores extends SqlStores {
  challenges: ChallengeStore;
  rateLimits: RateLimitCounters;
  /** `accounts`: the SQL database (scopes, accounts, audit log, sessions); `challenges`: challenges and rate-limit counters. */
  backends: { accounts: Backend; challenges: Backend };
  /** Human-readable description of the backends, for the start banner. */
  describe: { challenges: string; accounts: string };
  /** Closes both backends. */
  close(): Promise<void>;
}

/** The stores by name, as the metrics label their calls. */
export type StoreName = 'scopes' | 'accounts' | 'audit_log' | 'sessions' | 'delegates' | 'api_keys' | 'tokens' | 'recovery_codes' | 'operator_invites' | 'webhooks' | 'challenges' | 'rate_limits';

export interface StoreHooks {
  /** Told each live in-process challenge dropped to make room (for the metrics). */
  onChallengeEviction?: (bound: ChallengeEviction) => void;
}

export function sqlStores(db: SqlDatabase): SqlStores {
  return {
    scopes: sqlScopeStore(db), accounts: sqlAccountStore(db), auditLog: sqlAuditLogStore(db), sessions: sqlSessionStore(db), delegates: sqlDelegateStore(db),
    apiKeys: sqlApiKeyStore(db), tokens: sqlTokenStore(db), recoveryCodes: sqlRecoveryCodeStore(db), operatorInvites: sqlOperatorInviteStore(db), webhooks: sqlWebhookStore(db),
  };
}

/** Redis and PostgreSQL when configured; otherwise in-process challenges and counters and a SQLite file. */
export async function openStores(config: Config, hooks: StoreHooks = {}): Promise<Stores> {
  // One Redis client for challenges and rate-limit counters, each in its own key namespace.
  const redis = createConfiguredRedis(config, { commandTimeoutMs: config.serviceTimeoutMs });
  const keys = redisKeySpace(config.redisKeyPrefix);
  const challenges: ChallengeStore =
    redis !== null
      ? new RedisChallengeStore({ redis, keyPrefix: keys.namespace('challenge') })
      : new MemoryChallengeStore({
          maxEntries: config.memoryChallengeLimit,
          maxEntriesPerOwner: config.memoryChallengeLimitPerIp,
          onEvict: hooks.onChallengeEviction,
        });
  const file = join(config.dataDir, 'gateway.db');
  let db: SqlDatabase;
  try {
    db = config.databaseUrl
      ? await openPostgresDatabase({ connectionString: config.databaseUrl, schema: config.databaseSchema, migrations })
      : openSqliteDatabase(file, { migrations });
  } catch (error) {
    await challenges.close();
    throw error;
  }
  return {
    ...sqlStores(db),
    challenges,
    rateLimits: rateLimitCounters({ redis, keyPrefix: keys.namespace('ratelimit') }),
    backends: { accounts: db, challenges },
    describe: {
      challenges: describeChallenges(config),
      accounts: config.databaseUrl ? `postgresql (${redactUrl(config.databaseUrl)})` : `sqlite (${file})`,
    },
    async close() {
      await Promise.allSettled([challenges.close(), db.close()]);
    },
  };
}

function describeChallenges(config: Config): string {
  if (config.redisClusterNodes.length > 0) return `redis cluster (${config.redisClusterNodes.map(redactUrl).join(', ')})`;
  return config.redisUrl ? `redis (${redactUrl(config.redisUrl)})` : 'in-process memory';
}

function redactUrl(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}
