import { createSealer, loadOrCreateMasterKey, type Sealer } from '../../../platform/sealed-secrets.ts';

export const INTEGRATIONS_KEY_FILE_ENV = 'INTEGRATIONS_KEY_FILE';
export const GENERATED_INTEGRATIONS_KEY_FILE_NAME = 'integrations.key';

/**
 * The server's integrations key: a connector's secret (database password, bearer token) is sealed
 * under it, bound to the connector id (platform/sealed-secrets.ts).
 */
export type ConnectorKey = Sealer;

export function connectorKeyFrom(master: Buffer): ConnectorKey {
  return createSealer({
    master,
    purpose: 'integrations/connector-secret',
    label: 'connector-secret',
    what: 'connector secret',
    keyName: 'integrations key',
    otherKeyRemedy: `set ${INTEGRATIONS_KEY_FILE_ENV} to the same key on every instance, or enter the secret again`,
  });
}

/**
 * INTEGRATIONS_KEY_FILE when set (a missing or malformed file stops the start), otherwise
 * `<dataDir>/integrations.key`, generated at first start.
 */
export function loadOrCreateConnectorKey(options: { keyFile: string | null; dataDir: string }): {
  key: ConnectorKey;
  created: boolean;
  path: string;
} {
  const { master, created, path } = loadOrCreateMasterKey({
    ...options,
    envName: INTEGRATIONS_KEY_FILE_ENV,
    fileName: GENERATED_INTEGRATIONS_KEY_FILE_NAME,
    label: 'Integrations key',
    remedy: `restore it, or set ${INTEGRATIONS_KEY_FILE_ENV} (without the key, every connector's secret must be entered again)`,
  });
  return { key: connectorKeyFrom(master), created, path };
}
