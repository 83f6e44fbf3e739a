import { z } from 'zod';
import { GatewayError } from '../errors/gateway-error.js';
import { walletMethod } from '../rpc/rpc-method.js';
import { accountAddress } from './account-address.js';
import { sameAddress } from './ethereum-values.js';
import { transactionRequestSchema, unsignedTransaction } from './transaction-request.js';
import type { WalletSigner } from './wallet-signer.js';

export function signTransaction(deps: { signer: WalletSigner; accountKeySecret: Buffer }) {
  return walletMethod({
    name: 'eth_signTransaction',
    summary: 'Sign a transaction with the account key (result plain: the signed raw transaction)',
    description:
      'Params [transaction]: type 2 (EIP-1559) or legacy (EIP-155), with chainId, nonce and gas; fields as JSON numbers, 0x hex or decimal strings. ' +
      "`from`, when given, must be the account's address. In a scope with allowed_chain_ids the chainId must be one of them.",
    params: z.tuple([transactionRequestSchema.meta({ title: 'transaction' })]),
    result: z.string().regex(/^0x[0-9a-f]+$/).describe('the signed transaction, RLP-encoded, 0x hex'),
    plainResult: true,
    async handler([tx], ctx) {
      if (tx.from !== undefined && !sameAddress(tx.from, accountAddress(ctx.account, deps.accountKeySecret))) throw new GatewayError('address_mismatch');
      const unsigned = unsignedTransaction(tx);
      const signature = await deps.signer.sign(ctx, { event: 'transaction_signed', digest: unsigned.digest, chainId: unsigned.chainId });
      return unsigned.serialize(signature);
    },
  });
}
