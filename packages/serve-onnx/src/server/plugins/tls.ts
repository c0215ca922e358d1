import { createSecureContext } from 'node:tls';
import { HcrError } from '@hcr/core';

/** A PEM certificate (with its chain) and its private key, as read from their files. */
export interface TlsFiles {
  cert: string | Buffer;
  key: string | Buffer;
}

/** A certificate and key that Node can serve (PEM, the key the certificate's), or TLS_INVALID naming the fix. */
export function checkTls(tls: TlsFiles): void {
  try {
    createSecureContext({ cert: tls.cert, key: tls.key });
  } catch (e) {
    throw new HcrError(
      'TLS_INVALID',
      `The TLS certificate and key cannot be served: ${(e as Error).message}.`,
      {
        hint: 'Pass a PEM certificate (with its chain) and the PEM private key it was made for, e.g. from `openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout key.pem -out cert.pem -subj /CN=localhost`.',
        cause: e,
      },
    );
  }
}
