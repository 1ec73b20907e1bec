// Card forms: what the platform knows about a submitted form's errors (every feature's form shows them the
// same way, one message under each field).
import type { z } from 'zod';

/** The first message zod gave for each top-level field of a form: field name → Chinese message. */
export function fieldErrors(error: z.ZodError): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const issue of error.issues) {
    const key = String(issue.path[0] ?? '');
    if (key && !errors[key]) errors[key] = issue.message;
  }
  return errors;
}
