// Corpus input for dashboard builds: plain text split on blank lines, JSON lines (`text`, else the
// first string field), parquet (text column), gzip, typed errors naming the file (and line) for bad input, a Hub dataset
// file through the endpoint's /datasets/ layout (and its token), and contexts cut with the BOS and
// document separator where they belong.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gzipSync } from 'fflate';
import { ModelFileError } from '../../src/errors';
import { cutContexts, hubDatasetUrl, parseCorpus, readCorpus, textDocs } from '../../src/dashboards/corpus';
import { HubServer } from '../helpers/hub_server';
import { parquetBytes } from '../helpers/parquet';

const enc = (s: string) => new TextEncoder().encode(s);

async function fails(p: Promise<unknown>, file: string, what: RegExp) {
  const e = await p.then(() => null, (x) => x);
  expect(e).toBeInstanceOf(ModelFileError);
  expect(e.file).toBe(file);
  expect(e.message).toMatch(what);
}

describe('corpus files', () => {
  it('plain text: documents between blank lines (CRLF, blank lines with spaces)', async () => {
    expect(textDocs('one\ntwo\n\n  \nthree\r\n\r\nfour\n')).toEqual(['one\ntwo', 'three', 'four']);
    expect(await parseCorpus(enc('a\n\nb'), 'notes.txt')).toEqual(['a', 'b']);
  });

  it('JSON lines: the text field, else the first string field; gzipped too', async () => {
    const jsonl = '{"id": 1, "text": "first doc"}\n\n{"n": 2, "content": "second", "more": "x"}\n"third"\n';
    expect(await parseCorpus(enc(jsonl), 'c.jsonl')).toEqual(['first doc', 'second', 'third']);
    expect(await parseCorpus(gzipSync(enc(jsonl)), 'c.jsonl.gz')).toEqual(['first doc', 'second', 'third']);
  });

  it('parquet: the text column, else the first string column (written by tests/helpers/parquet.ts)', async () => {
    expect(await parseCorpus(parquetBytes({ id: ['1', '2'], text: ['doc one', 'doc deux été'] }), 'train.parquet')).toEqual(['doc one', 'doc deux été']);
    expect(await parseCorpus(parquetBytes({ content: ['x y', 'z'] }), 'data/00000.parquet')).toEqual(['x y', 'z']);
    // by content, whatever the name says
    expect(await parseCorpus(parquetBytes({ text: ['a'] }), 'download.bin')).toEqual(['a']);
  });

  it('bad input is a ModelFileError naming the file and saying what to do', async () => {
    await fails(parseCorpus(enc('{"text": "ok"}\n{"text": '), 'bad.jsonl'), 'bad.jsonl', /line 2 is not JSON/);
    await fails(parseCorpus(enc('{"n": 1}\n'), 'nums.jsonl'), 'nums.jsonl', /line 1 has no string field/);
    await fails(parseCorpus(enc('\n\n  \n'), 'empty.txt'), 'empty.txt', /holds no text/);
    await fails(parseCorpus(Uint8Array.of(0xff, 0xfe, 0x00, 0xc3), 'bin.txt'), 'bin.txt', /not UTF-8/);
    await fails(parseCorpus(enc('not parquet at all'), 'data.parquet'), 'data.parquet', /not a parquet file/);
    await fails(parseCorpus(enc('PAR1 garbage in between PAR1'), 'x.parquet'), 'x.parquet', /could not be read as parquet/);
    const gz = gzipSync(enc('{"text": "a"}\n'));
    await fails(parseCorpus(gz.subarray(0, gz.length - 6), 'cut.jsonl.gz'), 'cut.jsonl.gz', /does not decompress/);
  });
});

describe('contexts', () => {
  const plain = (t: string) => t.split(' ').map((w) => w.length); // a "tokenizer": word lengths
  it('GPT-2 style: one stream, documents joined by the separator, no BOS', () => {
    const c = cutContexts(['a bb ccc', 'dddd e'], { plain, prefix: [], separator: 99 }, 3, 100);
    expect(c.n).toBe(2);
    expect(Array.from(c.ids)).toEqual([1, 2, 3, 99, 4, 1]);
  });
  it('a BOS-first model: every context opens with the prefix; nTokens cuts to whole contexts', () => {
    const c = cutContexts(['a bb ccc dddd', 'e ff'], { plain, prefix: [7], separator: 8 }, 3, 7);
    expect(c.n).toBe(2); // floor(7 / 3)
    expect(Array.from(c.ids)).toEqual([7, 1, 2, 7, 3, 4]);
    expect(() => cutContexts(['a'], { plain, prefix: [7], separator: 8 }, 1, 10)).toThrow(RangeError);
  });
  it('a corpus shorter than one context gives none', () => {
    expect(cutContexts(['a bb'], { plain, prefix: [], separator: null }, 8, 64).n).toBe(0);
  });
});

describe('a Hub dataset file (without OPFS, as in Node: a plain fetch)', () => {
  const hub = new HubServer();
  beforeAll(async () => {
    await hub.start();
    hub.add('datasets/someone/tiny-corpus', 'data/train.jsonl', '{"text": "hello there"}\n{"text": "general"}\n');
    hub.add('datasets/someone/gated-corpus', 'train.txt', 'secret\n\ntext');
    hub.gate('datasets/someone/gated-corpus', 'hf_abc');
  });
  afterAll(() => hub.stop());

  it('is fetched from <endpoint>/datasets/<repo>/resolve/<rev>/<file>, with the token where asked', async () => {
    const s = { kind: 'hub' as const, endpoint: `${hub.url}/`, repo: 'someone/tiny-corpus', revision: 'main', file: 'data/train.jsonl' };
    expect(hubDatasetUrl(s)).toBe(`${hub.url}/datasets/someone/tiny-corpus/resolve/main/data/train.jsonl`);
    expect(await parseCorpus(await readCorpus(s), 'data/train.jsonl')).toEqual(['hello there', 'general']);
    const gated = { kind: 'hub' as const, endpoint: hub.url, repo: 'someone/gated-corpus', revision: 'main', file: 'train.txt' };
    await fails(readCorpus(gated), 'someone/gated-corpus/train.txt', /HTTP 401.*access token/);
    expect(await parseCorpus(await readCorpus({ ...gated, auth: { token: 'hf_abc', origin: hub.url } }), 'train.txt')).toEqual(['secret', 'text']);
    await fails(readCorpus({ ...s, file: 'missing.jsonl' }), 'someone/tiny-corpus/missing.jsonl', /HTTP 404/);
  });
});
