import { useEffect, useRef, useState } from 'react';
import { type Detector, hasCamera, loadDetector } from './camera.ts';

/** The same code seen again within this time is one scan held in front of the camera, not two. */
const REPEAT_MS = 1500;
const FRAME_MS = 200;

type CameraState = 'unknown' | 'absent' | 'off' | 'starting' | 'on' | 'refused' | 'failed';

/**
 * Scanning with the phone's camera. Optional: hidden on a device without a camera, and gone once
 * permission is refused — the scan field (keyboard-wedge scanners, typing) always works.
 */
export function CameraScanner(props: { onCode: (code: string) => void; label: string }) {
  const { onCode, label } = props;
  const [state, setState] = useState<CameraState>('unknown');
  const videoRef = useRef<HTMLVideoElement>(null);
  const onCodeRef = useRef(onCode);
  onCodeRef.current = onCode;

  useEffect(() => {
    let cancelled = false;
    void hasCamera().then((present) => {
      if (!cancelled) setState(present ? 'off' : 'absent');
    });
    return () => {
      cancelled = true;
    };
  }, []);

  const active = state === 'starting' || state === 'on';
  useEffect(() => {
    if (!active) return;
    let stream: MediaStream | null = null;
    let timer: number | undefined;
    let stopped = false;
    let last = { code: '', at: 0 };

    const scanLoop = (detector: Detector, video: HTMLVideoElement) => {
      const tick = async () => {
        if (stopped) return;
        try {
          if (video.readyState >= 2) {
            const found = await detector.detect(video);
            const code = found[0]?.rawValue.trim();
            const now = Date.now();
            if (code && !(code === last.code && now - last.at < REPEAT_MS)) {
              last = { code, at: now };
              onCodeRef.current(code);
            } else if (code) last.at = now;
          }
        } catch {
          // A frame that could not be read: try the next one.
        }
        if (!stopped) timer = window.setTimeout(tick, FRAME_MS);
      };
      void tick();
    };

    (async () => {
      try {
        stream = await navigator.mediaDevices.getUserMedia({
          video: { facingMode: { ideal: 'environment' } },
          audio: false,
        });
        const detector = await loadDetector();
        const video = videoRef.current;
        if (stopped || !video) return;
        video.srcObject = stream;
        await video.play();
        setState('on');
        scanLoop(detector, video);
      } catch (error) {
        if (stopped) return;
        const refused =
          error instanceof DOMException &&
          (error.name === 'NotAllowedError' || error.name === 'SecurityError');
        const missing = error instanceof DOMException && error.name === 'NotFoundError';
        setState(refused ? 'refused' : missing ? 'absent' : 'failed');
      }
    })();

    return () => {
      stopped = true;
      window.clearTimeout(timer);
      for (const track of stream?.getTracks() ?? []) track.stop();
    };
  }, [active]);

  if (state === 'unknown' || state === 'absent') return null;
  if (state === 'refused') {
    return <p className="muted small counter-camera-note">Camera not allowed: use the scan field.</p>;
  }
  return (
    <div className="counter-camera">
      {active ? (
        <>
          <video ref={videoRef} className="counter-video" muted playsInline aria-label={label} />
          <button
            type="button"
            className="button button-secondary button-block"
            onClick={() => setState('off')}
          >
            Stop camera
          </button>
        </>
      ) : (
        <button
          type="button"
          className="button button-secondary button-block"
          onClick={() => setState('starting')}
        >
          Scan with camera
        </button>
      )}
      {state === 'failed' && (
        <p className="muted small counter-camera-note">The camera could not start: use the scan field.</p>
      )}
    </div>
  );
}
