// A local HTTP server in the Hugging Face Hub's layout (/{repo}/resolve/{rev}/{path}), for the
// download tests: Range requests, sha256 in ETag/X-Linked-ETag like LFS files, CORS, and a
// switch that cuts the next full download of a file halfway (to test resuming), and gated repos
// that answer 401 without `Authorization: Bearer <token>` (403 with a wrong one), as the Hub does.
// Download faults, armed per file for its next request (GET /__arm-<fault>/<repo/path>):
//   cut-at?bytes=N     send N bytes of the body, then drop the connection
//   status?code=503    answer that status instead of the file (5xx, 401, 403, 429, ...)
//   wrong-sha          send the file with an ETag/X-Linked-ETag that is not its sha256
//   ignore-range       answer a Range request with 200 and the whole body
// (and /__arm-slow/<repo/path>?chunk=16384&ms=50 paces the next download, to cancel it mid-way)
// and GET /__make/<repo/path>?size=N adds a file of N random bytes, answering {"sha256": ...}.
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';

export interface HubFile {
  data: Uint8Array;
  sha256: string;
}

export class HubServer {
  readonly files = new Map<string, HubFile>(); // "repo/path" -> file
  readonly log: Array<{ path: string; range: string | null; status: number; auth: string | null }> = [];
  /** repo -> the token it takes */
  private readonly gated = new Map<string, string>();
  private readonly flaky = new Set<string>();
  /** file -> [bytes per chunk, ms between chunks] */
  private readonly slow = new Map<string, [number, number]>();
  private readonly cutAt = new Map<string, number>();
  private readonly statusOnce = new Map<string, number>();
  private readonly wrongSha = new Set<string>();
  private readonly ignoreRange = new Set<string>();
  private server: Server | null = null;
  url = '';

  add(repo: string, path: string, data: Uint8Array | string): void {
    const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
    this.files.set(`${repo}/${path}`, { data: bytes, sha256: createHash('sha256').update(bytes).digest('hex') });
  }

  /** Every file of `repo` needs `Authorization: Bearer <token>`. */
  gate(repo: string, token: string): void {
    this.gated.set(repo, token);
  }

  /** Arms one fault for the next request of `key` ("repo/path"); see the header comment. */
  arm(fault: 'cut-at' | 'status' | 'wrong-sha' | 'ignore-range', key: string, n = 0): void {
    if (fault === 'cut-at') this.cutAt.set(key, n);
    else if (fault === 'status') this.statusOnce.set(key, n);
    else if (fault === 'wrong-sha') this.wrongSha.add(key);
    else this.ignoreRange.add(key);
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      res.setHeader('Access-Control-Allow-Origin', '*');
      res.setHeader('Access-Control-Allow-Headers', 'Range, Authorization');
      res.setHeader('Access-Control-Expose-Headers', 'Content-Length, Content-Range, ETag, X-Linked-ETag, X-Linked-Size, Accept-Ranges');
      if (req.method === 'OPTIONS') return void res.writeHead(204).end();
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.pathname.startsWith('/__arm-cut/')) {
        this.flaky.add(decodeURIComponent(url.pathname.slice('/__arm-cut/'.length)));
        return void res.writeHead(200).end('armed');
      }
      if (url.pathname.startsWith('/__arm-slow/')) {
        const pace: [number, number] = [Number(url.searchParams.get('chunk') ?? 16384), Number(url.searchParams.get('ms') ?? 50)];
        this.slow.set(decodeURIComponent(url.pathname.slice('/__arm-slow/'.length)), pace);
        return void res.writeHead(200).end('armed');
      }
      const fault = /^\/__arm-(cut-at|status|wrong-sha|ignore-range)\/(.+)$/.exec(url.pathname);
      if (fault) {
        const n = Number(url.searchParams.get('bytes') ?? url.searchParams.get('code') ?? 0);
        this.arm(fault[1] as Parameters<HubServer['arm']>[0], decodeURIComponent(fault[2]), n);
        return void res.writeHead(200).end('armed');
      }
      if (url.pathname.startsWith('/__make/')) {
        const key = decodeURIComponent(url.pathname.slice('/__make/'.length));
        this.add(...splitKey(key), new Uint8Array(randomBytes(Number(url.searchParams.get('size')))));
        res.setHeader('Content-Type', 'application/json');
        return void res.writeHead(200).end(JSON.stringify({ sha256: this.files.get(key)!.sha256 }));
      }
      if (url.pathname === '/__log') {
        res.setHeader('Content-Type', 'application/json');
        return void res.writeHead(200).end(JSON.stringify(this.log));
      }
      const m = /^\/(.+?\/.+?)\/resolve\/[^/]+\/(.+)$/.exec(url.pathname);
      const key = m ? `${m[1]}/${decodeURIComponent(m[2])}` : '';
      const file = this.files.get(key);
      const range = req.headers.range ?? null;
      const auth = req.headers.authorization ?? null;
      const need = m ? this.gated.get(m[1]) : undefined;
      if (need !== undefined && auth !== `Bearer ${need}`) {
        const status = auth ? 403 : 401;
        this.log.push({ path: key, range, status, auth });
        return void res.writeHead(status, { 'Content-Type': 'text/plain', 'X-Error-Code': 'GatedRepo' }).end('Access to this repo is restricted.');
      }
      if (!file) {
        this.log.push({ path: key, range, status: 404, auth });
        return void res.writeHead(404, { 'Content-Type': 'text/plain' }).end('Entry not found');
      }
      const code = this.statusOnce.get(key);
      if (code !== undefined) {
        this.statusOnce.delete(key);
        this.log.push({ path: key, range, status: code, auth });
        return void res.writeHead(code, { 'Content-Type': 'text/plain' }).end(`armed fault: HTTP ${code}`);
      }
      const size = file.data.length;
      let start = 0;
      const r = range && this.ignoreRange.delete(key) ? null : /^bytes=(\d+)-$/.exec(range ?? '');
      const sha = this.wrongSha.delete(key) ? createHash('sha256').update('not these bytes').digest('hex') : file.sha256;
      if (r) start = Math.min(Number(r[1]), size);
      const status = r ? 206 : 200;
      this.log.push({ path: key, range, status, auth });
      res.writeHead(status, {
        'Content-Type': 'application/octet-stream',
        'Content-Length': String(size - start),
        'Accept-Ranges': 'bytes',
        ETag: `"${sha}"`,
        'X-Linked-ETag': `"${sha}"`,
        'X-Linked-Size': String(size),
        ...(r ? { 'Content-Range': `bytes ${start}-${size - 1}/${size}` } : {}),
      });
      if (req.method === 'HEAD') return void res.end();
      if (this.flaky.delete(key) && !r) {
        // send half, then close the connection short of Content-Length, as a dropped network would
        // (a FIN, not a reset, so the bytes already sent are delivered)
        // (the pause lets the client take in what arrived before the connection goes)
        res.write(Buffer.from(file.data.buffer, file.data.byteOffset, Math.floor(size / 2)), () => setTimeout(() => res.socket?.end(), 300));
        return;
      }
      const cut = this.cutAt.get(key);
      if (cut !== undefined && this.cutAt.delete(key)) {
        // N bytes of this response's body, then a FIN short of Content-Length (as above)
        const n = Math.min(cut, size - start);
        res.write(Buffer.from(file.data.buffer, file.data.byteOffset + start, n), () => setTimeout(() => res.socket?.end(), 300));
        return;
      }
      const pace = this.slow.get(key);
      if (pace && this.slow.delete(key)) {
        // 16 KB every 50 ms (or ?chunk=&ms=), so a test can cancel mid-download
        let at = start;
        const tick = () => {
          if (res.destroyed) return;
          const end = Math.min(size, at + pace[0]);
          res.write(Buffer.from(file.data.buffer, file.data.byteOffset + at, end - at));
          at = end;
          if (at < size) setTimeout(tick, pace[1]);
          else res.end();
        };
        return tick();
      }
      res.end(Buffer.from(file.data.buffer, file.data.byteOffset + start, size - start));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const addr = this.server.address() as { port: number };
    this.url = `http://127.0.0.1:${addr.port}`;
    return this.url;
  }

  stop(): Promise<void> {
    // close() alone waits for the browser's keep-alive connections to end
    this.server?.closeAllConnections();
    return new Promise((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}

/** "owner/name/sub/file" -> ["owner/name", "sub/file"] */
function splitKey(key: string): [string, string] {
  const i = key.indexOf('/', key.indexOf('/') + 1);
  return [key.slice(0, i), key.slice(i + 1)];
}
