// The secp256k1 package's native half (its bindings.js, which loads the libsecp256k1 addon): the
// same functions as the package's entry point, which @types/secp256k1 describes, without the entry
// point's fallback to pure JavaScript.
declare module 'secp256k1/bindings.js' {
  import type * as secp256k1 from 'secp256k1';

  const bindings: typeof secp256k1;
  export default bindings;
}
