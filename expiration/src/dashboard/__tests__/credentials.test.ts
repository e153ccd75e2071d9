import { ConfigError } from '@grider-ms-tickets/common';
import { loadExpirationConfig } from '../../config';

describe('DASHBOARD_CREDENTIALS', () => {
  const env = { EVENT_BUS: 'jetstream', NATS_URL: 'nats://nats:4222', REDIS_HOST: 'redis' };

  it('leaves the dashboard off when unset or blank', () => {
    expect(loadExpirationConfig(env).dashboardCredentials).toBeUndefined();
    expect(loadExpirationConfig({ ...env, DASHBOARD_CREDENTIALS: '  ' }).dashboardCredentials).toBeUndefined();
  });

  it('splits user:password at the first colon, so a password may hold colons', () => {
    const config = loadExpirationConfig({ ...env, DASHBOARD_CREDENTIALS: 'admin:dev:only:pass' });

    expect(config.dashboardCredentials).toEqual({ user: 'admin', password: 'dev:only:pass' });
  });

  it('drops the newline a Secret made with echo carries', () => {
    const config = loadExpirationConfig({ ...env, DASHBOARD_CREDENTIALS: 'admin:dev-only-change-me\n' });

    expect(config.dashboardCredentials).toEqual({ user: 'admin', password: 'dev-only-change-me' });
  });

  it.each([
    ['without a colon', 'admin-s3cret-value'],
    ['with an empty user', ':s3cret-value'],
    ['with an empty password', 'operator:'],
  ])('stops start-up naming the variable, not its value, when given one %s', (_case, value) => {
    let error: unknown;
    try {
      loadExpirationConfig({ ...env, DASHBOARD_CREDENTIALS: value });
    } catch (err) {
      error = err;
    }

    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      'DASHBOARD_CREDENTIALS: must be user:password, with a user and a password that are not empty ' +
        '(or unset, which turns the dashboard off)',
    ]);
    expect((error as Error).message).not.toContain(value);
  });
});
