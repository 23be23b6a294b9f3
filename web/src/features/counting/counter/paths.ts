/** The counter's addresses: /count, and /count/{session}/{location} for counting one location. */
export const COUNT_PATH = '/count';

export const countPath = (sessionId: string, locationId: string) =>
  `${COUNT_PATH}/${encodeURIComponent(sessionId)}/${encodeURIComponent(locationId)}`;
