import type { Account } from '../domain/account.js';
import { accountPublicKey } from '../identity/account-key.js';

/** The account's address: as stored, or (for accounts from before addresses were stored) derived again. */
export function accountAddress(account: Account, accountKeySecret: Buffer): string {
  return account.address !== '' ? account.address : accountPublicKey(accountKeySecret, account.account_id).address;
}
