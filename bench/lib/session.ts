import type { Product } from './product.ts';

/** The body of a response that must have this status (200 unless told); throws otherwise. */
export async function expectOk(response: Response, what: string, status = 200): Promise<string> {
  const text = await response.text();
  if (response.status !== status)
    throw new Error(`${what} answered ${response.status}: ${text.slice(0, 300)}`);
  return text;
}

/** Signs in as the product's admin; returns the Authorization header to send. */
export async function signIn(product: Product): Promise<{ authorization: string }> {
  const login = await fetch(`${product.url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: product.adminUsername, password: product.adminPassword }),
  });
  const { access_token: token } = JSON.parse(await expectOk(login, 'POST /api/auth/login')) as {
    access_token?: unknown;
  };
  if (typeof token !== 'string' || token === '') throw new Error('sign-in returned no access_token');
  return { authorization: `Bearer ${token}` };
}
