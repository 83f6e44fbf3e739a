/** What the gateway's account methods answer (README "Methods"), as the client hands them on. */
export interface Account {
  account_id: string;
  identifier_hash: string;
  username: string;
  display_name: string;
  /** The account's Ethereum address, 0x-prefixed. */
  address: string;
  created_at: string;
}

export interface Passkey {
  credential_id: string;
  name: string | null;
  provider: string | null;
  created_at: string;
  last_used_at: string | null;
  transports: string[];
  device_type: 'singleDevice' | 'multiDevice';
  backed_up: boolean;
  aaguid: string;
  possibly_cloned: boolean;
}

export interface Registration {
  account_id: string;
  identifier_hash: string;
}
