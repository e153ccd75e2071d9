import cookieSession from 'cookie-session';
import express, { type Express } from 'express';

/**
 * A tiny express 5 app set up like a course service: JSON body, unsigned
 * cookie session over plain HTTP. `mount` adds the routes under test.
 */
export function buildApp(mount: (app: Express) => void, options: { jsonLimit?: string } = {}): Express {
  const app = express();
  app.use(express.json({ limit: options.jsonLimit }));
  app.use(cookieSession({ signed: false, secure: false }));
  mount(app);
  return app;
}

/** The cookie the course's `global.signin()` builds: `session=` and the base64 of `{ jwt }`. */
export function sessionCookie(jwt: string): string {
  return `session=${Buffer.from(JSON.stringify({ jwt })).toString('base64')}`;
}
