/**
 * Camera scanning with the BarcodeDetector ponyfill (ZXing compiled to WebAssembly). Loaded only
 * when the counter turns the camera on, so the app's first load stays small. The `.wasm` is one of
 * our own build's assets: the library's default would fetch it from a CDN, which the
 * Content-Security-Policy (connect-src 'self') forbids and an offline warehouse cannot reach.
 */

export interface Detector {
  detect(source: HTMLVideoElement): Promise<{ rawValue: string }[]>;
}

/** The formats found on items and location labels. */
const FORMATS = [
  'ean_13',
  'ean_8',
  'upc_a',
  'upc_e',
  'itf',
  'code_128',
  'code_39',
  'code_93',
  'codabar',
  'data_matrix',
  'qr_code',
] as const;

let detector: Promise<Detector> | null = null;

export function loadDetector(): Promise<Detector> {
  if (!detector) {
    detector = (async () => {
      const [{ BarcodeDetector, prepareZXingModule }, { default: wasmUrl }] = await Promise.all([
        import('barcode-detector/ponyfill'),
        import('zxing-wasm/reader/zxing_reader.wasm?url'),
      ]);
      prepareZXingModule({
        overrides: {
          locateFile: (path: string, prefix: string) => (path.endsWith('.wasm') ? wasmUrl : prefix + path),
        },
        fireImmediately: true,
      });
      return new BarcodeDetector({ formats: [...FORMATS] });
    })();
    // A failed load (say, the asset was not reachable) may be tried again later.
    detector.catch(() => {
      detector = null;
    });
  }
  return detector;
}

/** Whether this device has a camera at all (no prompt: labels stay hidden until permission). */
export async function hasCamera(): Promise<boolean> {
  if (!navigator.mediaDevices?.getUserMedia || !navigator.mediaDevices.enumerateDevices) return false;
  try {
    const devices = await navigator.mediaDevices.enumerateDevices();
    return devices.some((device) => device.kind === 'videoinput');
  } catch {
    return false;
  }
}
