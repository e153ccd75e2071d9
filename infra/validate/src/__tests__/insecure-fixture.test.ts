import path from 'node:path';
import { validateOverlay } from '../validate-repo';
import { lines } from './helpers/manifests';

// The manifests as they were before the security review, on disk and rendered
// by kubectl kustomize like the real overlays (fixtures/insecure).
const where = 'infra/validate/src/__tests__/fixtures/insecure: ';

describe('validateOverlay on the manifests before the security review', () => {
  const found = () =>
    lines(validateOverlay(path.join(__dirname, 'fixtures', 'insecure')).problems).map((line) =>
      line.replace(where, ''),
    );

  it('names each missing protection, and the object that lacks it', () => {
    expect(found()).toEqual(
      expect.arrayContaining([
        'auth: StatefulSet/expiration-redis: container redis: redis-server has no --requirepass: any pod that reaches it can read and delete every pending expiration',
        'auth: StatefulSet/orders-mongo: container mongo: mongod runs without --auth: any pod that reaches it can read and change every order',
        'auth: StatefulSet/nats-streaming: container nats: the NATS server has no config file (-c) with users: anyone who reaches it may publish and subscribe to anything',
        'auth: Deployment/orders-depl: container orders: sets neither NATS_USER (with NATS_PASSWORD) nor NATS_CREDS: it would connect to NATS without credentials',
        'auth: Deployment/orders-depl: container orders: MONGO_URI has no user and password: MongoDB runs with --auth',
        'stores: StatefulSet/nats-streaming: container nats: NATS Streaming needs -store file -dir <volume>: its default store is memory, and a restart loses every channel and durable subscription',
        'network-policy: no NetworkPolicy denies ingress by default (podSelector: {}, policyTypes: [Ingress], no ingress rule): a pod that no policy selects accepts connections from anywhere',
        expect.stringMatching(
          /^network-policy: StatefulSet\/orders-mongo: no NetworkPolicy of its own selects its pods/,
        ),
        expect.stringMatching(
          /^image-versions: StatefulSet\/expiration-redis: container redis: redis:7\.2\.5-alpine predates the fix of CVE-2025-49844/,
        ),
        expect.stringMatching(
          /^image-versions: StatefulSet\/orders-mongo: container mongo: mongo:7\.0\.14 predates the fix of CVE-2025-14847/,
        ),
      ]),
    );
  });
});
