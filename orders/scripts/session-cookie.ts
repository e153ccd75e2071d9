/**
 * Prints a `Cookie` header value for the orders service: the session the auth
 * service would set for a signed-in user, with its JWT signed with JWT_KEY.
 *
 *   JWT_KEY=… npm run -s cookie -w orders -- [--user <id>] [--email <email>]
 *
 * The user id defaults to a new ObjectId, the email to test@test.com.
 */
import { parseArgs } from 'node:util';
import { newObjectId } from '../src/store/object-id';
import { sessionCookie } from '../src/test/session-cookie';

const { values } = parseArgs({
  options: {
    user: { type: 'string', default: newObjectId() },
    email: { type: 'string', default: 'test@test.com' },
  },
});

// A dev tool, not the service: it reads its one variable straight from the environment.
const jwtKey = process.env.JWT_KEY;
if (!jwtKey) {
  console.error('JWT_KEY is not set: export the key the orders service runs with');
  process.exit(1);
}
console.log(sessionCookie({ id: values.user, email: values.email }, jwtKey));
