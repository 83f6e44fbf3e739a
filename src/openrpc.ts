import { z } from 'zod';
import { rpcError, rpcReasons } from './errors/gateway-error.js';
import { limits } from './domain/limits.js';
import { buildMethods, type MethodDeps } from './methods.js';
import type { RpcMethod } from './rpc/rpc-method.js';

type JsonSchema = Record<string, unknown>;

const toSchema = (schema: z.ZodType, io: 'input' | 'output'): JsonSchema => {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
  return rest;
};

/** Methods built with dependencies that are never touched: only names and schemas are read. */
function describedMethods(): RpcMethod[] {
  const unused = new Proxy({}, { get: () => { throw new Error('documentation build must not use dependencies'); } });
  return buildMethods({
    accounts: unused,
    challenges: unused,
    rsaKeys: unused,
    sessions: unused,
    identifierSecret: Buffer.alloc(32),
    accountKeySecret: Buffer.alloc(32),
    decoyShapes: unused,
    now: Date.now,
    decoyPublicKey: new Uint8Array(),
    assertions: unused,
    audit: unused,
    scopes: unused,
    // Documented always; a server has them only when ADMIN_TOKEN_FILE is set.
    admin: true,
  } as MethodDeps);
}

/** The array form of a wallet method's params: they go by position, as in Ethereum JSON-RPC. */
function positional(method: RpcMethod, schema: JsonSchema): JsonSchema | undefined {
  if (method.kind !== 'wallet') return undefined;
  if (schema.type === 'array') return schema;
  return (schema.anyOf as JsonSchema[] | undefined)?.find((variant) => variant.type === 'array');
}

function paramStructure(method: RpcMethod): 'by-name' | 'by-position' {
  return positional(method, toSchema(method.params, 'input')) === undefined ? 'by-name' : 'by-position';
}

function paramsOf(method: RpcMethod): JsonSchema[] {
  const schema = toSchema(method.params, 'input');
  const byPosition = positional(method, schema);
  if (byPosition !== undefined) {
    const items = (byPosition.prefixItems ?? []) as JsonSchema[];
    const required = (byPosition.minItems ?? items.length) as number;
    return items.map(({ title, ...item }, i) => ({ name: typeof title === 'string' ? title : `param${i + 1}`, required: i < required, schema: item }));
  }
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((schema.required ?? []) as string[]);
  return Object.entries(properties).map(([name, property]) => {
    const plaintext = method.envelopes?.[name];
    return {
      name,
      required: required.has(name),
      schema: plaintext === undefined ? property : { ...property, 'x-plaintext': toSchema(plaintext, 'input') },
    };
  });
}

/** Session methods answer `{encrypted_result}`; the plaintext schema is documented beside it. */
function resultOf(method: RpcMethod): JsonSchema {
  const plaintext = toSchema(method.result, 'output');
  if (method.kind !== 'session') return plaintext;
  return {
    type: 'object',
    properties: { encrypted_result: { type: 'string', description: 'envelope of the JSON result', 'x-plaintext': plaintext } },
    required: ['encrypted_result'],
    additionalProperties: false,
  };
}

/** The OpenRPC document of every method, generated from the same zod schemas the server validates with. */
export function buildOpenRpcDocument(version: string): JsonSchema {
  return {
    openrpc: '1.3.2',
    info: {
      title: 'passkey-gateway',
      version,
      description:
        'JSON-RPC 2.0 over one POST endpoint. Scoped methods need X-Scope-Id and X-Encrypted-Key (RSA-OAEP-256 wrapped AES-256 key); ' +
        'fields named encrypted_* are base64(iv[12] ‖ AES-256-GCM ciphertext ‖ tag[16]) envelopes whose plaintext schema is under x-plaintext. ' +
        `Limits: body ${limits.bodyBytes} bytes, batches of at most ${limits.batchLength} calls.`,
    },
    methods: describedMethods().map((method) => ({
      name: method.name,
      summary: method.summary,
      description: method.description,
      paramStructure: paramStructure(method),
      'x-requires-scope': method.kind !== 'public' && method.kind !== 'admin' && method.kind !== 'server',
      'x-requires-session': method.kind === 'session',
      // A session or a delegate key signature, in a scope with wallet on; the result is plain.
      'x-requires-wallet': method.kind === 'wallet',
      'x-requires-admin-token': method.kind === 'admin',
      // Authorization: Bearer <API key> (its scope) or the admin token (with scope_id).
      'x-requires-api-key': method.kind === 'server',
      params: paramsOf(method),
      result: { name: 'result', schema: resultOf(method) },
      errors:
        method.kind === 'public'
          ? [{ $ref: '#/components/errors/invalid_params' }, { $ref: '#/components/errors/session_invalid' }]
          : rpcReasons.map((reason) => ({ $ref: `#/components/errors/${reason}` })),
    })),
    components: {
      errors: Object.fromEntries(rpcReasons.map((reason) => [reason, rpcError(reason)])),
    },
  };
}
