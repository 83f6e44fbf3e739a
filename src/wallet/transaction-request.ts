import { Signature } from 'ethers/crypto';
import { Transaction } from 'ethers/transaction';
import { z } from 'zod';
import { limits } from '../domain/limits.js';
import { GatewayError } from '../errors/gateway-error.js';
import type { RecoverableSignature } from '../identity/account-signature.js';
import { addressSchema, hexBytesSchema, MAX_UINT256, MAX_UINT64, quantitySchema } from './ethereum-values.js';

const bounded = (max: bigint, what: string) => quantitySchema.refine((value) => value <= max, `${what} is too large`);
const data = hexBytesSchema(limits.transactionDataBytes);

/**
 * eth_signTransaction's transaction, as Ethereum JSON-RPC clients send it: type 2 (EIP-1559) or
 * legacy (type 0, signed with EIP-155 replay protection, so chainId is required for both), with
 * every field the gateway cannot fill in itself (it has no node): chainId, nonce, gas. `gasLimit`
 * and `input` are taken for `gas` and `data`; `from`, when given, must be the account's address.
 */
export const transactionRequestSchema = z
  .object({
    type: z.union([z.literal(0), z.literal(2), z.enum(['0x0', '0x00', '0x2', '0x02'])]).optional(),
    chainId: quantitySchema.refine((id) => id >= 1n && id <= BigInt(Number.MAX_SAFE_INTEGER), 'chainId must be from 1 to 2^53 - 1'),
    // ethers keeps a nonce as a JavaScript number.
    nonce: quantitySchema.refine((nonce) => nonce <= BigInt(Number.MAX_SAFE_INTEGER), 'nonce must be at most 2^53 - 1'),
    gas: bounded(MAX_UINT64, 'gas').optional(),
    gasLimit: bounded(MAX_UINT64, 'gasLimit').optional(),
    gasPrice: bounded(MAX_UINT256, 'gasPrice').optional(),
    maxFeePerGas: bounded(MAX_UINT256, 'maxFeePerGas').optional(),
    maxPriorityFeePerGas: bounded(MAX_UINT256, 'maxPriorityFeePerGas').optional(),
    to: addressSchema.nullable().optional(),
    value: bounded(MAX_UINT256, 'value').optional(),
    data: data.optional(),
    input: data.optional(),
    accessList: z
      .array(z.object({ address: addressSchema, storageKeys: z.array(hexBytesSchema(32).length(66, 'must be 32 bytes')).max(limits.accessListKeys) }).strict())
      .max(limits.accessListEntries)
      .optional(),
    from: addressSchema.optional(),
  })
  .strict()
  .superRefine((tx, ctx) => {
    const issue = (message: string) => ctx.addIssue({ code: 'custom', message });
    if ((tx.gas === undefined) === (tx.gasLimit === undefined)) issue('give gas (or gasLimit), once');
    if (tx.data !== undefined && tx.input !== undefined) issue('give data or input, not both');
    const type = typeOf(tx);
    if (type === 2 && (tx.maxFeePerGas === undefined || tx.maxPriorityFeePerGas === undefined || tx.gasPrice !== undefined)) {
      issue('a type 2 transaction has maxFeePerGas and maxPriorityFeePerGas, and no gasPrice');
    }
    if (type === 0 && (tx.gasPrice === undefined || tx.maxFeePerGas !== undefined || tx.maxPriorityFeePerGas !== undefined || tx.accessList !== undefined)) {
      issue('a legacy transaction has gasPrice, and no maxFeePerGas, maxPriorityFeePerGas or accessList');
    }
  });

export type TransactionRequest = z.output<typeof transactionRequestSchema>;

/** 2 or 0: as given, else type 2 unless the transaction names a gasPrice. */
function typeOf(tx: Pick<TransactionRequest, 'type' | 'gasPrice'>): 0 | 2 {
  if (tx.type !== undefined) return Number(tx.type) === 2 ? 2 : 0;
  return tx.gasPrice !== undefined ? 0 : 2;
}

/** The transaction to sign, ready for its signature: the digest to sign, its chain id, and how to serialize it signed. */
export interface UnsignedTransaction {
  digest: string;
  chainId: number;
  /** The signed transaction, RLP-encoded (EIP-2718 typed, or legacy with EIP-155's v), 0x hex. */
  serialize(signature: RecoverableSignature): string;
}

export function unsignedTransaction(tx: TransactionRequest): UnsignedTransaction {
  let transaction: Transaction;
  let digest: string;
  try {
    transaction = Transaction.from({
      type: typeOf(tx),
      chainId: tx.chainId,
      nonce: Number(tx.nonce),
      gasLimit: tx.gas ?? tx.gasLimit,
      gasPrice: tx.gasPrice,
      maxFeePerGas: tx.maxFeePerGas,
      maxPriorityFeePerGas: tx.maxPriorityFeePerGas,
      to: tx.to ?? null,
      value: tx.value ?? 0n,
      data: tx.data ?? tx.input ?? '0x',
      accessList: tx.accessList,
    });
    digest = transaction.unsignedHash;
  } catch (error) {
    // ethers' short message names the rule ("priorityFee cannot be more than maxFee"), not the values.
    throw new GatewayError('invalid_params', `transaction: ${(error as { shortMessage?: string }).shortMessage ?? 'invalid'}`);
  }
  return {
    digest,
    chainId: Number(tx.chainId),
    serialize(signature) {
      const signed = transaction.clone();
      signed.signature = Signature.from(signature);
      return signed.serialized;
    },
  };
}
