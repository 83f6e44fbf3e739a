/**
 * Jest's asymmetric matchers, typed as what they are. @types/jest declares `expect.any` and
 * `expect.stringMatching` as returning `any`, so each one standing for a property in an object
 * literal trips the lint rules against unsafe `any`; these return the same matchers as
 * `jest.AsymmetricMatcher`. Use them inside the expected value of `toEqual`, `toMatchObject`, ….
 */
export const match = {
  /** Any value made by `type` (`String` and `Number` also match primitives), like `expect.any`. */
  any: (type: unknown): jest.AsymmetricMatcher => expect.any(type) as jest.AsymmetricMatcher,
  /** A string matching `pattern`, like `expect.stringMatching`. */
  stringMatching: (pattern: string | RegExp): jest.AsymmetricMatcher => expect.stringMatching(pattern) as jest.AsymmetricMatcher,
};
