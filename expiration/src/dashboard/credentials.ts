import { z } from 'zod';

/** The one login of the queue dashboard. */
export interface DashboardCredentials {
  user: string;
  password: string;
}

/**
 * Splits `user:password` at its first `:`, as HTTP Basic auth does (RFC 7617:
 * a user name has no `:`, a password may).
 *
 * @param value - the variable's value
 * @returns the login, or undefined when the user or the password is empty
 */
export function parseDashboardCredentials(value: string): DashboardCredentials | undefined {
  const colon = value.indexOf(':');
  if (colon < 0) return undefined;
  const user = value.slice(0, colon);
  const password = value.slice(colon + 1);
  return user && password ? { user, password } : undefined;
}

/**
 * The variable `DASHBOARD_CREDENTIALS`: unset (or blank) leaves the dashboard
 * off; a value must be `user:password` with neither part empty. Surrounding
 * whitespace is dropped, so the newline that `echo` leaves in a Secret made
 * from a file does not become part of the password. The message never repeats
 * the value: it is a password.
 */
export function envDashboardCredentials() {
  return z
    .preprocess(
      (value) => (typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined),
      z.string().optional(),
    )
    .refine(
      (value) => value === undefined || parseDashboardCredentials(value) !== undefined,
      'must be user:password, with a user and a password that are not empty (or unset, which turns the dashboard off)',
    )
    .transform((value) => (value === undefined ? undefined : parseDashboardCredentials(value)));
}
