// A dedicated worker that runs cachedDownload, as the engine's worker does: there the part file
// is written through a sync access handle (src/store/download.ts). `quotaAfter` makes that
// handle's writes fail with QuotaExceededError past so many bytes, as a disk filling up mid-write
// would: the write that crosses the line stores what fits, then throws.
import { cachedDownload } from '../../src/store/download';

export interface DownloadJob {
  url: string;
  quotaAfter?: number;
}
export type DownloadOutcome = { ok: true; size: number; sha: string; isFile: boolean } | { ok: false; name: string; message: string };

const hex = (b: ArrayBuffer) => Array.from(new Uint8Array(b), (x) => x.toString(16).padStart(2, '0')).join('');
const write = FileSystemSyncAccessHandle.prototype.write;

self.onmessage = async (e: MessageEvent<DownloadJob>) => {
  const { url, quotaAfter } = e.data;
  let written = 0;
  FileSystemSyncAccessHandle.prototype.write = function (this: FileSystemSyncAccessHandle, buf, opts) {
    const bytes = buf as Uint8Array;
    if (quotaAfter !== undefined && written + bytes.byteLength > quotaAfter) {
      write.call(this, bytes.subarray(0, quotaAfter - written), opts);
      written = quotaAfter;
      throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
    }
    written += bytes.byteLength;
    return write.call(this, bytes, opts);
  };
  let out: DownloadOutcome;
  try {
    const blob = await cachedDownload(url, 'model.safetensors');
    out = { ok: true, size: blob.size, sha: hex(await crypto.subtle.digest('SHA-256', await blob.arrayBuffer())), isFile: blob instanceof File };
  } catch (err) {
    out = { ok: false, name: (err as Error).name, message: (err as Error).message };
  }
  postMessage(out);
};
