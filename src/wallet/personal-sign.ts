import { z } from 'zod';
import { GatewayError } from '../errors/gateway-error.js';
import { toRsvSignature } from '../identity/account-signature.js';
import { walletMethod } from '../rpc/rpc-method.js';
import { accountAddress } from './account-address.js';
import { addressSchema, sameAddress, ZERO_ADDRESS } from './ethereum-values.js';
import { personalMessageDigest, personalMessageSchema } from './personal-message.js';
import type { WalletSigner } from './wallet-signer.js';

export const signatureResult = z.string().regex(/^0x[0-9a-f]{130}$/).describe('r ‖ s ‖ v (27 or 28), 65 bytes in 0x hex');

export function personalSign(deps: { signer: WalletSigner; accountKeySecret: Buffer }) {
  return walletMethod({
    name: 'personal_sign',
    summary: 'Sign a message with the account key, EIP-191 (result plain: the signature)',
    description:
      'Params [message, address]: a 0x string of hex digit pairs is signed as those bytes, any other string as UTF-8 text (at most 16 KiB). ' +
      "The address must be the account's, or the zero address the SDK's signMessage() sends. " +
      'Needs a session from a sign-in within the scope\'s signing_window_s (else reauthentication_required), or a delegate key signature.',
    params: z.tuple([personalMessageSchema.meta({ title: 'message' }), addressSchema.meta({ title: 'address' }).optional()]),
    result: signatureResult,
    plainResult: true,
    async handler([message, address], ctx) {
      if (address !== undefined && !sameAddress(address, ZERO_ADDRESS) && !sameAddress(address, accountAddress(ctx.account, deps.accountKeySecret))) {
        throw new GatewayError('address_mismatch');
      }
      const signature = await deps.signer.sign(ctx, { event: 'message_signed', digest: personalMessageDigest(message), chainId: null });
      return toRsvSignature(signature);
    },
  });
}
