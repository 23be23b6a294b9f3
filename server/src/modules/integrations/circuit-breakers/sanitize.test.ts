import { describe, expect, it } from 'vitest';
import { sanitizeErrorMessage } from './sanitize.ts';

describe('error messages from peers', () => {
  it('masks credentials in URLs, every query-string value and a fragment after a secret', () => {
    const message = sanitizeErrorMessage(
      'request to https://svc:Pa55w0rd@erp.example.com:8443/api/items?page=2&api_key=abc123&sig=zz#frag failed',
    );
    expect(message).toBe(
      'request to https://***@erp.example.com:8443/api/items?page=***&api_key=***&sig=*** failed',
    );
  });

  it('masks credentials in database URLs and connection strings', () => {
    expect(sanitizeErrorMessage('connect to postgres://erp:topsecret@db.internal:5432/erp refused')).toBe(
      'connect to postgres://***@db.internal:5432/erp refused',
    );
    expect(sanitizeErrorMessage('mysql://root@10.0.0.5/erp: access denied')).toBe(
      'mysql://***@10.0.0.5/erp: access denied',
    );
    const dsn = sanitizeErrorMessage('bad DSN host=db user=erp password=topsecret dbname=erp');
    expect(dsn).not.toContain('topsecret');
    expect(dsn).toContain('host=db');
  });

  it('masks secrets in header-like text', () => {
    const text = sanitizeErrorMessage(
      '401 with Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig, token=abcdef',
    );
    expect(text).not.toContain('eyJhbGci');
    expect(text).not.toContain('abcdef');
    expect(sanitizeErrorMessage('x-api-key: K-123456789')).not.toContain('K-123456789');
  });

  it('leaves ordinary messages alone and cuts long ones', () => {
    expect(sanitizeErrorMessage('connect ECONNREFUSED 10.0.0.7:443')).toBe(
      'connect ECONNREFUSED 10.0.0.7:443',
    );
    expect(sanitizeErrorMessage('x'.repeat(2_000))).toHaveLength(501);
  });
});
