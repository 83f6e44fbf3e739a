// The benchmark's yardstick: the same passkey ceremonies as the gateway, written as a competent
// developer would with the same libraries and stores, but plain REST and no envelope.
//   @simplewebauthn/server for options and verification, ioredis for challenges (SET PX / GETDEL),
//   a pooled pg client with named (prepared) statements, one transaction per new account, and an
//   ES256 session JWT from jose, like the gateway returns. Started by run-bench.ts as a child
//   process; REF_WORKERS > 1 runs it under node:cluster exactly as the gateway's WORKERS does.
// Environment: REF_PORT, REF_ORIGIN, REF_RP_ID, REDIS_URL, REF_REDIS_PREFIX, DATABASE_URL, REF_SCHEMA, REF_WORKERS.
import cluster from 'node:cluster';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type AuthenticatorTransport,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { Redis } from 'ioredis';
import { SignJWT } from 'jose';
import pg from 'pg';
import { z } from 'zod';

const env = z
  .object({
    REF_PORT: z.coerce.number().int().min(1).max(65_535),
    REF_ORIGIN: z.string().url(),
    REF_RP_ID: z.string().default('localhost'),
    REDIS_URL: z.string().url(),
    REF_REDIS_PREFIX: z.string().min(1),
    DATABASE_URL: z.string().url(),
    REF_SCHEMA: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/),
    REF_WORKERS: z.coerce.number().int().min(1).max(64).default(1),
  })
  .parse(process.env);

const schemaSql = `
  CREATE TABLE IF NOT EXISTS users (id uuid PRIMARY KEY, username text NOT NULL UNIQUE, user_handle text NOT NULL, created_at timestamptz NOT NULL DEFAULT now());
  CREATE TABLE IF NOT EXISTS credentials (
    id text PRIMARY KEY, user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE, public_key bytea NOT NULL,
    counter bigint NOT NULL, transports text[] NOT NULL, created_at timestamptz NOT NULL DEFAULT now(), last_used_at timestamptz);
  CREATE INDEX IF NOT EXISTS credentials_user ON credentials (user_id);`;

if (cluster.isPrimary) {
  // Schema once, then the workers.
  const setup = new pg.Client({ connectionString: env.DATABASE_URL });
  await setup.connect();
  await setup.query(`CREATE SCHEMA IF NOT EXISTS ${env.REF_SCHEMA}; SET search_path TO ${env.REF_SCHEMA}; ${schemaSql}`);
  await setup.end();
}

if (cluster.isPrimary && env.REF_WORKERS > 1) {
  for (let i = 0; i < env.REF_WORKERS; i += 1) cluster.fork();
  let listening = 0;
  cluster.on('listening', () => {
    listening += 1;
    if (listening === env.REF_WORKERS) process.stdout.write(`reference listening on ${env.REF_PORT}\n`);
  });
  process.on('SIGTERM', () => {
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
    setTimeout(() => process.exit(0), 500).unref();
  });
} else {
  serve();
}

function serve(): void {
  const redis = new Redis(env.REDIS_URL, { maxRetriesPerRequest: 1, commandTimeout: 2000 });
  const pool = new pg.Pool({ connectionString: env.DATABASE_URL, max: 10, options: `-c search_path=${env.REF_SCHEMA}` });
  // The session key is made once; the benchmark only needs the signing cost, not verification.
  const sessionKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  const rp = { id: env.REF_RP_ID, name: 'reference', origin: env.REF_ORIGIN };
  const challengeTtlMs = 300_000;

  const sql = {
    userByName: { name: 'user_by_name', text: 'SELECT id FROM users WHERE username = $1' },
    credentialsOfUser: {
      name: 'credentials_of_user',
      text: 'SELECT c.id, c.transports FROM credentials c JOIN users u ON u.id = c.user_id WHERE u.username = $1',
    },
    insertUser: { name: 'insert_user', text: 'INSERT INTO users (id, username, user_handle) VALUES ($1, $2, $3)' },
    insertCredential: {
      name: 'insert_credential',
      text: 'INSERT INTO credentials (id, user_id, public_key, counter, transports) VALUES ($1, $2, $3, $4, $5)',
    },
    credentialById: {
      name: 'credential_by_id',
      text: 'SELECT c.id, c.user_id, c.public_key, c.counter, c.transports, u.username FROM credentials c JOIN users u ON u.id = c.user_id WHERE c.id = $1',
    },
    recordUse: { name: 'record_use', text: 'UPDATE credentials SET counter = $2, last_used_at = now() WHERE id = $1' },
  };

  const usernameBody = z.object({ username: z.string().trim().min(1).max(256) });
  const verifyBody = z.object({ challengeId: z.string().uuid(), response: z.record(z.string(), z.unknown()) });
  const registrationState = z.object({ challenge: z.string(), username: z.string(), userId: z.string() });
  const authenticationState = z.object({ challenge: z.string(), username: z.string() });

  const session = (userId: string, credentialId: string) =>
    new SignJWT({ credential_id: credentialId })
      .setProtectedHeader({ alg: 'ES256', typ: 'JWT' })
      .setIssuer('reference')
      .setSubject(userId)
      .setIssuedAt()
      .setExpirationTime('1h')
      .setJti(randomUUID())
      .sign(sessionKey);

  class HttpError extends Error {
    constructor(readonly status: number, message: string) {
      super(message);
    }
  }

  async function takeState<T>(key: string, schema: z.ZodType<T>): Promise<T> {
    const raw = await redis.getdel(env.REF_REDIS_PREFIX + key);
    if (raw === null) throw new HttpError(400, 'challenge not found');
    return schema.parse(JSON.parse(raw));
  }

  const routes: Record<string, (body: unknown) => Promise<unknown>> = {
    async '/register/options'(body) {
      const { username } = usernameBody.parse(body);
      if ((await pool.query(sql.userByName, [username])).rowCount !== 0) throw new HttpError(409, 'username taken');
      const options = await generateRegistrationOptions({
        rpName: rp.name,
        rpID: rp.id,
        userName: username,
        attestationType: 'none',
        authenticatorSelection: { residentKey: 'preferred', userVerification: 'required' },
        supportedAlgorithmIDs: [-8, -7, -257],
      });
      const challengeId = randomUUID();
      await redis.set(
        `${env.REF_REDIS_PREFIX}reg:${challengeId}`,
        JSON.stringify({ challenge: options.challenge, username, userId: options.user.id }),
        'PX',
        challengeTtlMs,
      );
      return { challengeId, options };
    },
    async '/register/verify'(body) {
      const { challengeId, response } = verifyBody.parse(body);
      const state = await takeState(`reg:${challengeId}`, registrationState);
      const verification = await verifyRegistrationResponse({
        response: response as unknown as RegistrationResponseJSON,
        expectedChallenge: state.challenge,
        expectedOrigin: rp.origin,
        expectedRPID: rp.id,
        requireUserVerification: true,
        supportedAlgorithmIDs: [-8, -7, -257],
      });
      if (!verification.verified || verification.registrationInfo === undefined) throw new HttpError(400, 'not verified');
      const { credential } = verification.registrationInfo;
      const userId = randomUUID();
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        await client.query(sql.insertUser, [userId, state.username, state.userId]);
        await client.query(sql.insertCredential, [credential.id, userId, Buffer.from(credential.publicKey), credential.counter, credential.transports ?? []]);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK');
        throw error;
      } finally {
        client.release();
      }
      return { userId, token: await session(userId, credential.id) };
    },
    async '/login/options'(body) {
      const { username } = usernameBody.parse(body);
      const rows = (await pool.query<{ id: string; transports: string[] }>(sql.credentialsOfUser, [username])).rows;
      const options = await generateAuthenticationOptions({
        rpID: rp.id,
        userVerification: 'required',
        allowCredentials: rows.map((row) => ({ id: row.id, transports: row.transports as AuthenticatorTransport[] })),
      });
      const challengeId = randomUUID();
      await redis.set(`${env.REF_REDIS_PREFIX}auth:${challengeId}`, JSON.stringify({ challenge: options.challenge, username }), 'PX', challengeTtlMs);
      return { challengeId, options };
    },
    async '/login/verify'(body) {
      const { challengeId, response } = verifyBody.parse(body);
      const state = await takeState(`auth:${challengeId}`, authenticationState);
      const assertion = response as unknown as AuthenticationResponseJSON;
      const found = await pool.query<{ id: string; user_id: string; public_key: Buffer; counter: string; transports: string[]; username: string }>(
        sql.credentialById,
        [assertion.id],
      );
      const row = found.rows[0];
      if (row === undefined || row.username !== state.username) throw new HttpError(400, 'unknown credential');
      const verification = await verifyAuthenticationResponse({
        response: assertion,
        expectedChallenge: state.challenge,
        expectedOrigin: rp.origin,
        expectedRPID: rp.id,
        credential: { id: row.id, publicKey: new Uint8Array(row.public_key), counter: Number(row.counter) },
        requireUserVerification: true,
      });
      if (!verification.verified) throw new HttpError(400, 'not verified');
      await pool.query(sql.recordUse, [row.id, verification.authenticationInfo.newCounter]);
      return { token: await session(row.user_id, row.id) };
    },
  };

  const reply = (res: ServerResponse, status: number, body: unknown) => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const route = req.method === 'POST' ? routes[req.url ?? ''] : undefined;
    if (route === undefined) return reply(res, 404, { error: 'not found' });
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > 64 * 1024) return reply(res, 413, { error: 'too large' });
      chunks.push(chunk as Buffer);
    }
    try {
      reply(res, 200, await route(JSON.parse(Buffer.concat(chunks).toString('utf8'))));
    } catch (error) {
      if (error instanceof HttpError) return reply(res, error.status, { error: error.message });
      reply(res, 400, { error: error instanceof Error ? error.message : 'bad request' });
    }
  }

  const server = createServer((req, res) => void handle(req, res));
  server.keepAliveTimeout = 30_000;
  server.listen(env.REF_PORT, '127.0.0.1', () => {
    if (!cluster.isWorker) process.stdout.write(`reference listening on ${env.REF_PORT}\n`);
  });
  process.on('SIGTERM', () => {
    server.close();
    server.closeAllConnections();
    void Promise.allSettled([redis.quit(), pool.end()]).then(() => process.exit(0));
  });
}
