import { createHmac, randomUUID } from 'node:crypto';
import type { Clock } from '../../../platform/clock.ts';
import { outgoingHeaders } from '../../../platform/http/outgoing-headers.ts';
import { safeMessage } from '../connectors/erp-source.ts';
import {
  type DeliveryAck,
  type DeliveryChannel,
  DeliveryError,
  messageBody,
  type TraceContext,
} from './delivery-channel.ts';
import type { WebhookSettings } from './delivery-settings.ts';

/**
 * Delivery to a REST ERP: one POST per message, JSON, signed.
 *
 *   Content-Type: application/json
 *   Idempotency-Key: count-adjustment:<line id>          (the same on every attempt)
 *   X-StockVerify-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(key, "<t>.<raw body>")>
 *   X-Request-ID, X-Trace-ID, X-Correlation-ID, traceparent
 *
 * The ERP checks the signature over the exact bytes it received (and may refuse an old `t`), and
 * applies each Idempotency-Key once. What its answer means here:
 *
 * - 2xx: delivered.
 * - 409 is delivered only when the ERP says it is a duplicate of this very message: it echoes our
 *   key, in an `Idempotency-Key` response header or as `idempotency_key` in a JSON body. Any other
 *   409 is a conflict about something else, and is refused like the other 4xx.
 * - 408, 429 and 5xx: the ERP is busy or down: retried with backoff (Retry-After respected).
 * - Other 4xx and 3xx (redirects are not followed: a signed body goes only where it was meant to):
 *   the ERP refuses this message; it is failed until an admin retries it.
 * - No answer (refused, reset, DNS, timeout): retried. An attempt whose answer was lost after the
 *   ERP committed is harmless: the retry carries the same key.
 */

export const SIGNATURE_HEADER = 'X-StockVerify-Signature';

/** `t=<seconds>,v1=<hex>` over `<t>.<body>`. */
export function signatureOf(secret: string, body: string, unixSeconds: number): string {
  const mac = createHmac('sha256', secret).update(`${unixSeconds}.${body}`, 'utf8').digest('hex');
  return `t=${unixSeconds},v1=${mac}`;
}

const MAX_ERROR_BODY = 200;
const MAX_RETRY_AFTER_MS = 3_600_000;

function retryAfterOf(value: string | null, now: number): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(value) - now;
  return Number.isFinite(ms) && ms > 0 ? Math.min(ms, MAX_RETRY_AFTER_MS) : undefined;
}

async function textOf(response: Response): Promise<string> {
  try {
    return (await response.text()).slice(0, 4096);
  } catch {
    return '';
  }
}

/** Whether a 409 answer says "I have this key already". */
function isDuplicateOf(key: string, response: Response, body: string): boolean {
  if (response.headers.get('idempotency-key') === key) return true;
  try {
    const parsed = JSON.parse(body) as { idempotency_key?: unknown };
    return parsed?.idempotency_key === key;
  } catch {
    return false;
  }
}

export function createWebhookChannel(
  settings: WebhookSettings,
  secret: string,
  deps: { clock: Clock; trace: () => TraceContext },
): DeliveryChannel {
  const url = new URL(settings.url);

  async function post(
    body: string,
    key: string,
    signal: AbortSignal,
  ): Promise<{ response: Response; text: string }> {
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: 'application/json',
      'idempotency-key': key,
      [SIGNATURE_HEADER]: signatureOf(secret, body, Math.floor(deps.clock.now().getTime() / 1000)),
      ...outgoingHeaders(deps.trace()),
    };
    let response: Response;
    try {
      response = await fetch(url, { method: 'POST', headers, body, signal, redirect: 'manual' });
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause;
      const message = signal.aborted
        ? `No answer from ${url.host} in time`
        : cause?.code === 'ECONNREFUSED'
          ? `Connection refused by ${url.host}`
          : cause?.code === 'ENOTFOUND' || cause?.code === 'EAI_AGAIN'
            ? `Host ${url.hostname} not found`
            : `Request to ${url.host} failed: ${safeMessage(cause ?? error, [secret])}`;
      throw new DeliveryError(message, { permanent: false, cause: error });
    }
    return { response, text: await textOf(response) };
  }

  function refused(response: Response, text: string): DeliveryError {
    const status = response.status;
    const said = text.trim() ? `: ${safeMessage(text.trim().slice(0, MAX_ERROR_BODY), [secret])}` : '';
    const where = `${url.host}${url.pathname}`;
    if (status === 408 || status === 429 || status >= 500) {
      const retryAfterMs = retryAfterOf(response.headers.get('retry-after'), deps.clock.now().getTime());
      return new DeliveryError(`${where} answered HTTP ${status}${said}`, {
        permanent: false,
        status,
        ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
      });
    }
    const hint =
      status === 401 || status === 403
        ? ' (check the signing key)'
        : status >= 300 && status < 400
          ? ' (a redirect: set the final URL)'
          : '';
    return new DeliveryError(`${where} refused the message: HTTP ${status}${hint}${said}`, {
      permanent: true,
      status,
    });
  }

  return {
    async deliver(message, signal): Promise<DeliveryAck> {
      const body = JSON.stringify(messageBody(message));
      const { response, text } = await post(body, message.idempotency_key, signal);
      if (response.status >= 200 && response.status < 300) return { duplicate: false };
      if (response.status === 409 && isDuplicateOf(message.idempotency_key, response, text))
        return { duplicate: true };
      throw refused(response, text);
    },

    async test(signal) {
      const id = randomUUID();
      const body = JSON.stringify({
        message_id: id,
        topic: 'ping',
        idempotency_key: `ping:${id}`,
        sent_at: deps.clock.now().toISOString(),
      });
      const { response, text } = await post(body, `ping:${id}`, signal);
      if (response.status < 200 || response.status >= 300) throw refused(response, text);
      return `${url.host} accepted a signed ping (HTTP ${response.status})`;
    },

    async close() {},
  };
}
