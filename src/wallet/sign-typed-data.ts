import { z } from 'zod';
import { GatewayError } from '../errors/gateway-error.js';
import { toRsvSignature } from '../identity/account-signature.js';
import { walletMethod } from '../rpc/rpc-method.js';
import { accountAddress } from './account-address.js';
import { addressSchema, sameAddress } from './ethereum-values.js';
import { signatureResult } from './personal-sign.js';
import { typedDataDigest, typedDataSchema } from './typed-data.js';
import type { WalletSigner } from './wallet-signer.js';

export function signTypedData(deps: { signer: WalletSigner; accountKeySecret: Buffer }) {
  return walletMethod({
    name: 'eth_signTypedData_v4',
    summary: 'Sign EIP-712 typed data with the account key (result plain: the signature)',
    description:
      "Params [address, typedData]: the account's address, and {types, primaryType, domain, message} as an object or its JSON text (at most 32 KiB). " +
      'The domain may only hold the EIP-712 fields; in a scope with allowed_chain_ids its chainId must be one of them.',
    params: z.tuple([addressSchema.meta({ title: 'address' }), typedDataSchema.meta({ title: 'typedData' })]),
    result: signatureResult,
    plainResult: true,
    async handler([address, typed], ctx) {
      if (!sameAddress(address, accountAddress(ctx.account, deps.accountKeySecret))) throw new GatewayError('address_mismatch');
      const { digest, chainId } = typedDataDigest(typed);
      return toRsvSignature(await deps.signer.sign(ctx, { event: 'typed_data_signed', digest, chainId }));
    },
  });
}
