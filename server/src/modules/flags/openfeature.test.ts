import { OFREPApi } from '@openfeature/ofrep-core';
import { OFREPProvider } from '@openfeature/ofrep-provider';
import { OpenFeature } from '@openfeature/server-sdk';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createTestApp, dialects, type TestApp } from '../../../test/helpers/test-app.ts';
import { bucketOf } from './evaluate.ts';
import { createFeatureFlags, type FeatureFlags } from './flags.service.ts';
import { FeatureFlagsProvider } from './openfeature-provider.ts';

/**
 * OpenFeature clients evaluating our flags: in-process through our provider, and over the OFREP
 * endpoints through the OFREP provider (the real HTTP client) against the app on a random port.
 */
describe.each(dialects())('OpenFeature on %s', (dialect) => {
  let app: TestApp;
  let baseUrl: string;
  let flags: FeatureFlags;
  const people = {} as Record<'admin' | 'staff' | 'supervisor', { id: string; token: string }>;

  beforeAll(async () => {
    app = await createTestApp({ dialect });
    for (const role of ['admin', 'staff', 'supervisor'] as const)
      people[role] = await app.userWithToken(role);
    const create = (payload: Record<string, unknown>) =>
      app.server.inject({
        method: 'POST',
        url: '/api/enterprise/features',
        headers: bearer(people.admin.token),
        payload,
      });
    expect((await create({ key: 'new_dashboard', state: 'enabled', percentage: 20 })).statusCode).toBe(201);
    expect(
      (
        await create({
          key: 'beta_export',
          state: 'enabled',
          allowed_users: [people.staff.id],
          allowed_roles: ['supervisor'],
        })
      ).statusCode,
    ).toBe(201);
    await app.server.listen({ port: 0, host: '127.0.0.1' });
    const address = app.server.addresses().find((entry) => typeof entry !== 'string')!;
    baseUrl = `http://127.0.0.1:${address.port}`;
    flags = createFeatureFlags({
      db: app.database.db,
      dialect: app.database.dialect,
      clock: app.clock,
      logger: pino({ level: 'silent' }),
      trail: app.audit.trail,
      evaluationEnabled: true,
      cacheTtlSeconds: 60,
    });
    await flags.start();
  });
  afterAll(async () => {
    flags?.stop();
    await OpenFeature.close();
    await app?.close();
  });

  it('evaluates in-process through OpenFeature.getClient()', async () => {
    await OpenFeature.setProviderAndWait(`in-process-${dialect}`, new FeatureFlagsProvider(flags));
    const client = OpenFeature.getClient(`in-process-${dialect}`);
    const staff = { targetingKey: people.staff.id, role: 'staff' };
    expect(await client.getBooleanDetails('beta_export', false, staff)).toMatchObject({
      value: true,
      reason: 'TARGETING_MATCH',
      variant: 'on',
    });
    expect(
      await client.getBooleanDetails('beta_export', true, { targetingKey: people.admin.id, role: 'admin' }),
    ).toMatchObject({ value: false, reason: 'DEFAULT', variant: 'off' });
    expect(
      await client.getBooleanValue('bulk_operations', false, {
        targetingKey: people.admin.id,
        role: 'admin',
      }),
    ).toBe(true);
    expect(await client.getBooleanValue('bulk_operations', true, staff)).toBe(false);
    for (let i = 0; i < 50; i++) {
      const id = `user-${i}`;
      const details = await client.getBooleanDetails('new_dashboard', false, { targetingKey: id });
      expect(details).toMatchObject({ value: bucketOf('new_dashboard', id) <= 20, reason: 'SPLIT' });
    }
    expect(await client.getBooleanDetails('no_such_flag', true, staff)).toMatchObject({
      value: true,
      reason: 'ERROR',
      errorCode: 'FLAG_NOT_FOUND',
    });
    expect(await client.getBooleanDetails('new_dashboard', true, {})).toMatchObject({
      value: true,
      errorCode: 'TARGETING_KEY_MISSING',
    });
    expect(await client.getStringDetails('beta_export', 'x', staff)).toMatchObject({
      value: 'x',
      errorCode: 'TYPE_MISMATCH',
    });
  });

  it('evaluates over OFREP with the OFREP provider, as the caller only', async () => {
    const providerFor = (token: string) =>
      new OFREPProvider({ baseUrl, headers: [['Authorization', `Bearer ${token}`]] });
    await OpenFeature.setProviderAndWait(`ofrep-staff-${dialect}`, providerFor(people.staff.token));
    await OpenFeature.setProviderAndWait(`ofrep-admin-${dialect}`, providerFor(people.admin.token));
    const asStaff = OpenFeature.getClient(`ofrep-staff-${dialect}`);
    const asAdmin = OpenFeature.getClient(`ofrep-admin-${dialect}`);

    // The caller is the default subject.
    expect(await asStaff.getBooleanDetails('beta_export', false)).toMatchObject({
      value: true,
      reason: 'TARGETING_MATCH',
      variant: 'on',
    });
    expect(await asStaff.getBooleanDetails('new_dashboard', false)).toMatchObject({
      value: bucketOf('new_dashboard', people.staff.id) <= 20,
      reason: 'SPLIT',
    });
    expect(await asStaff.getBooleanValue('bulk_operations', true)).toBe(false);
    expect(await asAdmin.getBooleanValue('bulk_operations', false)).toBe(true);
    // Naming yourself is fine; naming anyone else, or another role, is refused.
    expect(await asStaff.getBooleanValue('beta_export', false, { targetingKey: people.staff.id })).toBe(true);
    expect(
      await asStaff.getBooleanDetails('beta_export', false, { targetingKey: people.supervisor.id }),
    ).toMatchObject({ value: false, reason: 'ERROR', errorCode: 'INVALID_CONTEXT' });
    expect(await asStaff.getBooleanDetails('beta_export', false, { role: 'supervisor' })).toMatchObject({
      value: false,
      errorCode: 'INVALID_CONTEXT',
    });
    // An admin may preview anyone.
    expect(
      await asAdmin.getBooleanDetails('beta_export', false, {
        targetingKey: people.supervisor.id,
        role: 'supervisor',
      }),
    ).toMatchObject({ value: true, reason: 'TARGETING_MATCH' });
    for (let i = 0; i < 20; i++) {
      const id = `user-${i}`;
      expect(await asAdmin.getBooleanValue('new_dashboard', false, { targetingKey: id })).toBe(
        bucketOf('new_dashboard', id) <= 20,
      );
    }
    expect(await asStaff.getBooleanDetails('no_such_flag', true)).toMatchObject({
      value: true,
      errorCode: 'FLAG_NOT_FOUND',
    });
    // Without a session the protocol's 401.
    await OpenFeature.setProviderAndWait(`ofrep-anon-${dialect}`, new OFREPProvider({ baseUrl }));
    expect(
      await OpenFeature.getClient(`ofrep-anon-${dialect}`).getBooleanDetails('beta_export', true),
    ).toMatchObject({
      value: true,
      reason: 'ERROR',
    });
  });

  it('answers the bulk evaluation with every flag and an ETag', async () => {
    const api = new OFREPApi(baseUrl);
    const options = { headers: { authorization: `Bearer ${people.supervisor.token}` } };
    const first = await api.postBulkEvaluateFlags({ context: {} }, options);
    expect(first.httpStatus).toBe(200);
    const evaluated = (first.value as { flags: { key: string; value: boolean; reason: string }[] }).flags;
    expect(evaluated.map((flag) => flag.key)).toEqual([
      'advanced_analytics',
      'beta_export',
      'bulk_operations',
      'data_governance',
      'enterprise_audit',
      'enterprise_security',
      'new_dashboard',
    ]);
    expect(evaluated.find((flag) => flag.key === 'beta_export')).toMatchObject({
      value: true,
      reason: 'TARGETING_MATCH',
    });
    expect(evaluated.find((flag) => flag.key === 'advanced_analytics')).toMatchObject({
      value: false,
      reason: 'DISABLED',
    });
    const etag = first.httpResponse?.headers.get('etag');
    expect(etag).toBeTruthy();
    const again = await api.postBulkEvaluateFlags(
      { context: {} },
      { headers: { ...options.headers, 'if-none-match': etag! } },
    );
    expect(again.httpStatus).toBe(304);
    const refused = await api.postBulkEvaluateFlags({ context: { targetingKey: people.staff.id } }, options);
    expect(refused.httpStatus).toBe(400);
    expect(refused.value).toMatchObject({ errorCode: 'INVALID_CONTEXT' });
    const malformed = await api.postBulkEvaluateFlags({ context: 'x' as never }, options);
    expect(malformed.httpStatus).toBe(400);
    expect(malformed.value).toMatchObject({ errorCode: 'PARSE_ERROR' });
  });
});
