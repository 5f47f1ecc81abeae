// A local HTTP server in the Hugging Face Hub's layout (/{repo}/resolve/{rev}/{path}), for the
// download tests: Range requests, sha256 in ETag/X-Linked-ETag like LFS files, CORS, and a
// switch that cuts the next full download of a file halfway (to test resuming), and gated repos
// that answer 401 without `Authorization: Bearer <token>` (403 with a wrong one), as the Hub does.
import { createHash } from 'node:crypto';
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
  private readonly slow = new Set<string>();
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
        this.slow.add(decodeURIComponent(url.pathname.slice('/__arm-slow/'.length)));
        return void res.writeHead(200).end('armed');
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
      const size = file.data.length;
      let start = 0;
      const r = /^bytes=(\d+)-$/.exec(range ?? '');
      if (r) start = Math.min(Number(r[1]), size);
      const status = r ? 206 : 200;
      this.log.push({ path: key, range, status, auth });
      res.writeHead(status, {
        'Content-Type': 'application/octet-stream',
        'Content-Length': String(size - start),
        'Accept-Ranges': 'bytes',
        ETag: `"${file.sha256}"`,
        'X-Linked-ETag': `"${file.sha256}"`,
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
      if (this.slow.delete(key)) {
        // 16 KB every 50 ms, so a test can cancel mid-download
        let at = start;
        const tick = () => {
          if (res.destroyed) return;
          const end = Math.min(size, at + 16384);
          res.write(Buffer.from(file.data.buffer, file.data.byteOffset + at, end - at));
          at = end;
          if (at < size) setTimeout(tick, 50);
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
