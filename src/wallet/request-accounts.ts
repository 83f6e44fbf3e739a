import { z } from 'zod';
import { walletMethod } from '../rpc/rpc-method.js';
import { accountAddress } from './account-address.js';

export function requestAccounts(deps: { accountKeySecret: Buffer }) {
  return walletMethod({
    name: 'eth_requestAccounts',
    summary: "The account's address (result plain: [address])",
    description:
      'Needs X-Encrypted-Session (or X-Encrypted-Key-Signature for an account a delegate key created) and a scope with wallet on. ' +
      'Answers the one address of the account key, as Ethereum JSON-RPC does.',
    params: z.union([z.tuple([]), z.object({}).strict()]).optional(),
    result: z.array(z.string()).length(1),
    plainResult: true,
    handler(_params, { account }) {
      return [accountAddress(account, deps.accountKeySecret)];
    },
  });
}
