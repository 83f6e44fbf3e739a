import { z } from 'zod';

/** Params of a method that takes none: `{}`, `[]`, or nothing at all. */
export const noParams = z.union([z.object({}).strict(), z.array(z.never()).max(0)]).optional();
