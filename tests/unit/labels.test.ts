import { describe, expect, it } from 'vitest';
import { gzipSync } from 'fflate';
import { parseLabelExport } from '../../src/store/labels';

const enc = (s: string) => new TextEncoder().encode(s);

describe('Neuronpedia label exports', () => {
  const rows = [
    { modelId: 'gpt2-small', layer: '6-res-jb', index: '12', description: ' the Golden Gate Bridge ' },
    { modelId: 'gpt2-small', layer: '6-res-jb', index: '7', description: 'ocean words' },
    { modelId: 'gpt2-small', layer: '6-res-jb', index: '12', description: 'a second explanation of 12' },
  ];
  const want = new Map([[12, 'the Golden Gate Bridge'], [7, 'ocean words']]);

  it('reads the API JSON array (string indices), {explanations}, JSON lines and gzip of each', () => {
    expect(parseLabelExport(enc(JSON.stringify(rows)), 'export.json')).toEqual(want);
    expect(parseLabelExport(enc(JSON.stringify({ explanations: rows })), 'export.json')).toEqual(want);
    const jsonl = rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
    expect(parseLabelExport(enc(jsonl), 'batch-0.jsonl')).toEqual(want);
    expect(parseLabelExport(gzipSync(enc(jsonl)), 'batch-0.jsonl.gz')).toEqual(want);
    expect(parseLabelExport(enc(JSON.stringify([{ featureIndex: 3, explanation: 'x' }])), 'a.json')).toEqual(new Map([[3, 'x']]));
    expect(parseLabelExport(enc(JSON.stringify(rows[1]) + '\n'), 'one-line.jsonl')).toEqual(new Map([[7, 'ocean words']]));
  });

  it('refuses what is not an export with an error that names the file', () => {
    for (const [bytes, why] of [
      [enc('not json at all'), /neither JSON nor JSON lines/],
      [enc('{"a": 1}'), /no list of explanations/],
      [enc('[{"index": "x", "description": 5}]'), /no \{index, description\}/],
      [new Uint8Array([0x1f, 0x8b, 1, 2, 3]), /does not decompress/],
    ] as const) {
      expect(() => parseLabelExport(bytes, 'labels.json')).toThrow(expect.objectContaining({ name: 'ModelFileError', message: expect.stringMatching(why) }));
      expect(() => parseLabelExport(bytes, 'labels.json')).toThrow(/^labels\.json: /);
    }
  });
});
