import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { nkeys } from '@nats-io/transport-node';
import { inboxPrefixOf, jetStreamAuthOptions, stanAuthOptions } from '../nats-auth';

describe('jetStreamAuthOptions', () => {
  it('without credentials, adds nothing', () => {
    expect(jetStreamAuthOptions(undefined)).toEqual({});
  });

  it('with a user, passes its password and gives it reply subjects of its own', () => {
    expect(jetStreamAuthOptions({ user: 'expiration', password: 'p' })).toEqual({
      user: 'expiration',
      pass: 'p',
      inboxPrefix: '_INBOX.expiration',
    });
    expect(inboxPrefixOf('orders')).toBe('_INBOX.orders');
  });

  it('with a credentials file, reads it each time the client authenticates, so a rotated file is used', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nats-auth-'));
    const file = path.join(dir, 'service.creds');
    const user = nkeys.createUser();
    const creds = (jwt: string) =>
      `-----BEGIN NATS USER JWT-----\n${jwt}\n------END NATS USER JWT------\n\n` +
      `-----BEGIN USER NKEY SEED-----\n${new TextDecoder().decode(user.getSeed())}\n------END USER NKEY SEED------\n`;
    const authenticate = (options: ReturnType<typeof jetStreamAuthOptions>) =>
      (options.authenticator as (nonce?: string) => { jwt?: string; nkey?: string })('nonce');

    // Built before the file exists: nothing is read yet.
    const options = jetStreamAuthOptions({ credsFile: file });
    fs.writeFileSync(file, creds('first.jwt.value'));
    const first = authenticate(options);
    fs.writeFileSync(file, creds('rotated.jwt.value'));
    const second = authenticate(options);

    expect(first).toMatchObject({ jwt: 'first.jwt.value', nkey: user.getPublicKey() });
    expect(second).toMatchObject({ jwt: 'rotated.jwt.value' });
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe('stanAuthOptions', () => {
  it('without credentials, adds nothing', () => {
    expect(stanAuthOptions(undefined)).toEqual({});
  });

  it("passes a user and password as node-nats-streaming's user and pass", () => {
    expect(stanAuthOptions({ user: 'orders', password: 'p' })).toEqual({ user: 'orders', pass: 'p' });
  });

  it("passes a credentials file as node-nats-streaming's userCreds", () => {
    expect(stanAuthOptions({ credsFile: '/var/run/nats/orders.creds' })).toEqual({
      userCreds: '/var/run/nats/orders.creds',
    });
  });
});
