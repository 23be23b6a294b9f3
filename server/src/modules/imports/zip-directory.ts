import fs from 'node:fs';
import fsp from 'node:fs/promises';
import { Readable, Transform } from 'node:stream';
import zlib from 'node:zlib';

/**
 * Random access to the entries of a ZIP file on disk, through its central directory: the sizes
 * there are authoritative, so entries are found and read whatever their order in the file and
 * whether or not their local headers carry sizes (a streaming unzip has to guess both).
 */

export interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  uncompressedSize: number;
  localHeaderOffset: number;
}

export class ZipError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ZipError';
  }
}

const EOCD = 0x06054b50;
const CENTRAL_HEADER = 0x02014b50;
const LOCAL_HEADER = 0x04034b50;
/** The end record is 22 bytes plus a comment of at most 65,535. */
const MAX_TAIL = 22 + 0xffff;
const MAX_DIRECTORY_BYTES = 16 * 1024 * 1024;

export async function readZipDirectory(file: string): Promise<Map<string, ZipEntry>> {
  const handle = await fsp.open(file, 'r');
  try {
    const { size } = await handle.stat();
    const tailLength = Math.min(size, MAX_TAIL);
    const tail = Buffer.alloc(tailLength);
    await handle.read(tail, 0, tailLength, size - tailLength);
    let end = -1;
    for (let i = tailLength - 22; i >= 0; i -= 1) {
      if (tail.readUInt32LE(i) === EOCD) {
        end = i;
        break;
      }
    }
    if (end < 0) throw new ZipError('it is not a complete ZIP archive');
    const count = tail.readUInt16LE(end + 10);
    const directorySize = tail.readUInt32LE(end + 12);
    const directoryOffset = tail.readUInt32LE(end + 16);
    if (count === 0xffff || directoryOffset === 0xffffffff)
      throw new ZipError('ZIP64 archives are not supported');
    if (directorySize > MAX_DIRECTORY_BYTES || directoryOffset + directorySize > size)
      throw new ZipError('its ZIP directory is damaged');
    const directory = Buffer.alloc(directorySize);
    await handle.read(directory, 0, directorySize, directoryOffset);

    const entries = new Map<string, ZipEntry>();
    let at = 0;
    for (let i = 0; i < count; i += 1) {
      if (at + 46 > directory.length || directory.readUInt32LE(at) !== CENTRAL_HEADER)
        throw new ZipError('its ZIP directory is damaged');
      const nameLength = directory.readUInt16LE(at + 28);
      const extraLength = directory.readUInt16LE(at + 30);
      const commentLength = directory.readUInt16LE(at + 32);
      if (at + 46 + nameLength > directory.length) throw new ZipError('its ZIP directory is damaged');
      const name = directory.toString('utf8', at + 46, at + 46 + nameLength);
      entries.set(name, {
        name,
        method: directory.readUInt16LE(at + 10),
        compressedSize: directory.readUInt32LE(at + 20),
        uncompressedSize: directory.readUInt32LE(at + 24),
        localHeaderOffset: directory.readUInt32LE(at + 42),
      });
      at += 46 + nameLength + extraLength + commentLength;
    }
    return entries;
  } finally {
    await handle.close();
  }
}

/**
 * The uncompressed bytes of one entry, as a stream; more than `maxBytes` of them (a
 * decompression bomb) fails the stream.
 */
export async function openZipEntry(file: string, entry: ZipEntry, maxBytes: number): Promise<Readable> {
  if (entry.compressedSize === 0xffffffff || entry.localHeaderOffset === 0xffffffff)
    throw new ZipError('ZIP64 archives are not supported');
  if (entry.method !== 0 && entry.method !== 8)
    throw new ZipError(`${entry.name} uses an unsupported compression method (${entry.method})`);
  const header = Buffer.alloc(30);
  const handle = await fsp.open(file, 'r');
  try {
    const { bytesRead } = await handle.read(header, 0, 30, entry.localHeaderOffset);
    if (bytesRead < 30 || header.readUInt32LE(0) !== LOCAL_HEADER)
      throw new ZipError(`${entry.name} is damaged`);
  } finally {
    await handle.close();
  }
  if (entry.compressedSize === 0) return Readable.from([]);
  const start = entry.localHeaderOffset + 30 + header.readUInt16LE(26) + header.readUInt16LE(28);
  const raw = fs.createReadStream(file, {
    start,
    end: start + entry.compressedSize - 1,
    highWaterMark: 256 * 1024,
  });
  let total = 0;
  const limit = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      total += chunk.length;
      if (total > maxBytes)
        callback(new ZipError(`${entry.name} is larger than ${Math.round(maxBytes / 2 ** 20)} MiB`));
      else callback(null, chunk);
    },
  });
  const source: Readable = entry.method === 8 ? raw.pipe(zlib.createInflateRaw()) : raw;
  const fail = (error: Error) => limit.destroy(error);
  raw.on('error', fail);
  if (source !== raw) source.on('error', fail);
  limit.on('close', () => {
    raw.destroy();
    if (source !== raw) source.destroy();
  });
  return source.pipe(limit);
}
