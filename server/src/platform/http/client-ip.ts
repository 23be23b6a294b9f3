import type { FastifyRequest } from 'fastify';

/**
 * The caller's address. Fastify reads X-Forwarded-For only when the direct peer is listed in
 * TRUST_PROXY (see app.ts), so a client cannot forge its way past IP rules. IPv4-mapped IPv6
 * (`::ffff:a.b.c.d`) is reported as plain IPv4.
 */
export function clientIp(request: FastifyRequest): string {
  const ip = request.ip ?? '';
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(ip);
  return mapped ? mapped[1]! : ip;
}
