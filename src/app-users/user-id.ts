import { z } from 'zod';

/** An app's own id of its user: opaque to the gateway, 1–128 printable characters, unique per scope. */
export const userIdSchema = z
  .string()
  .min(1)
  .max(128)
  .refine((value) => !/[\p{Cc}\s]/u.test(value), 'user_id must hold no spaces or control characters')
  .describe("the app's own id of the user (opaque, 1–128 characters, no spaces or control characters)");
