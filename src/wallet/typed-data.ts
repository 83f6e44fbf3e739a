import { TypedDataEncoder, type TypedDataField } from 'ethers/hash';
import { z } from 'zod';
import { limits } from '../domain/limits.js';
import { GatewayError } from '../errors/gateway-error.js';
import { addressSchema, hexBytesSchema, quantitySchema } from './ethereum-values.js';

const identifier = z
  .string()
  .min(1)
  .max(limits.typedDataNameChars)
  .regex(/^[A-Za-z_$][A-Za-z0-9_$]*$/, 'must be an identifier');
// A base type or struct name, then array dimensions: uint256, Person, bytes32[2][].
const fieldType = z
  .string()
  .min(1)
  .max(limits.typedDataNameChars)
  .regex(/^[A-Za-z_$][A-Za-z0-9_$]*(?:\[[0-9]{0,4}\]){0,4}$/, 'must be a type such as uint256, Person or Person[]');

/** The EIP-712 domain fields, in the order the standard gives them, with their types. */
const DOMAIN_FIELDS = [
  ['name', 'string'],
  ['version', 'string'],
  ['chainId', 'uint256'],
  ['verifyingContract', 'address'],
  ['salt', 'bytes32'],
] as const;

const typedDataObject = z
  .object({
    types: z
      .record(identifier, z.array(z.object({ name: identifier, type: fieldType }).strict()).max(limits.typedDataFields))
      .refine((types) => Object.keys(types).length <= limits.typedDataTypes, `at most ${limits.typedDataTypes} types`),
    primaryType: identifier,
    domain: z
      .object({
        name: z.string().max(limits.typedDataNameChars * 10).optional(),
        version: z.string().max(limits.typedDataNameChars).optional(),
        chainId: quantitySchema
          .refine((id) => id >= 1n && id <= BigInt(Number.MAX_SAFE_INTEGER), 'must be a chain id from 1 to 2^53 - 1')
          .transform(Number)
          .optional(),
        verifyingContract: addressSchema.optional(),
        salt: hexBytesSchema(32).length(66, 'must be 32 bytes').optional(),
      })
      .strict(),
    message: z.record(z.string(), z.unknown()),
  })
  .strict();

/** eth_signTypedData_v4's typed data: the JSON object, or (as MetaMask takes it) its JSON text. */
export const typedDataSchema = z.union([
  z
    .string()
    .max(limits.typedDataChars)
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'typed data text is not JSON' });
        return z.NEVER;
      }
    })
    .pipe(typedDataObject),
  typedDataObject,
]);

export type TypedData = z.output<typeof typedDataSchema>;

/**
 * The EIP-712 digest to sign, and the chain id the domain names (null without one). Beyond the
 * schema: types.EIP712Domain, when given, must list exactly the domain's fields with their standard
 * types (otherwise wallets would disagree on what is signed); the primary type must be the one
 * struct no other uses, every type must be used, and the message may hold no field its type lacks
 * and nest at most limits.typedDataDepth deep. Any failure is `invalid_params`.
 */
export function typedDataDigest(typed: TypedData): { digest: string; chainId: number | null } {
  // Measured once validated (as the object form's refinement it would also run on a half-parsed value).
  if (JSON.stringify(typed).length > limits.typedDataChars) throw new GatewayError('invalid_params', `typed data may be at most ${limits.typedDataChars} characters of JSON`);
  const { EIP712Domain: domainType, ...types } = typed.types;
  if (domainType !== undefined) checkDomainType(domainType, typed.domain);
  if (typed.primaryType === 'EIP712Domain' || types[typed.primaryType] === undefined) {
    throw new GatewayError('invalid_params', 'primaryType must name one of the types');
  }
  checkFields(types, typed.primaryType, typed.message, 0);
  try {
    if (TypedDataEncoder.getPrimaryType(types) !== typed.primaryType) throw new GatewayError('invalid_params', 'primaryType is not the primary type of types');
    return { digest: TypedDataEncoder.hash(typed.domain, types, typed.message), chainId: typed.domain.chainId ?? null };
  } catch (error) {
    if (error instanceof GatewayError) throw error;
    // ethers' short message names the problem ("invalid address", "value out-of-bounds for uint8"), not the values.
    throw new GatewayError('invalid_params', `typed data: ${(error as { shortMessage?: string }).shortMessage ?? 'invalid'}`);
  }
}

function checkDomainType(fields: readonly TypedDataField[], domain: TypedData['domain']): void {
  const present = DOMAIN_FIELDS.filter(([name]) => domain[name] !== undefined);
  const same = fields.length === present.length && present.every(([name, type]) => fields.some((field) => field.name === name && field.type === type));
  if (!same) throw new GatewayError('invalid_params', 'types.EIP712Domain must list exactly the fields of domain, with their standard types');
}

/** No field the type does not declare, at any depth, and no deeper than the limit. */
function checkFields(types: Record<string, readonly TypedDataField[]>, type: string, value: unknown, depth: number): void {
  if (depth > limits.typedDataDepth) throw new GatewayError('invalid_params', `typed data message nests deeper than ${limits.typedDataDepth}`);
  const array = /^(.*)\[[0-9]*\]$/.exec(type);
  if (array !== null) {
    if (Array.isArray(value)) for (const item of value) checkFields(types, array[1]!, item, depth + 1);
    return;
  }
  const fields = types[type];
  if (fields === undefined || value === null || typeof value !== 'object' || Array.isArray(value)) return;
  for (const key of Object.keys(value)) {
    const field = fields.find((candidate) => candidate.name === key);
    if (field === undefined) throw new GatewayError('invalid_params', `typed data message has a field its type ${type} does not declare`);
    checkFields(types, field.type, (value as Record<string, unknown>)[key], depth + 1);
  }
}
