// Adds n-gram labels (src/store/ngram_labels.ts) to a bundled feature index as its "ngram_label"
// column. They need every feature's examples (the n-grams are contrasted across features), which
// live in the shards: too much to fetch in the browser at start-up, a second here.
//   node tools/ngram_labels.mjs [public/models/glassbox-mini/features]     (SAMPLE=97 also prints every 97th label)
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';

const dir = process.argv[2] ?? 'public/models/glassbox-mini/features';
const bundled = await build({ entryPoints: ['src/store/ngram_labels.ts'], bundle: true, write: false, format: 'esm', platform: 'node' });
const { ngramLabels } = await import(`data:text/javascript;base64,${Buffer.from(bundled.outputFiles[0].text).toString('base64')}`);

const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8'));
const tokens = JSON.parse(readFileSync(join(dir, 'tokens.json'), 'utf8'));
const features = [];
for (const f of readdirSync(dir).filter((n) => /^\d{3}\.json$/.test(n)).sort()) {
  const shard = JSON.parse(readFileSync(join(dir, f), 'utf8'));
  for (const [i, feat] of shard.features.entries()) features[shard.first + i] = feat;
}
if (features.length !== index.n_features || features.some((f) => !f)) throw new Error(`${dir}: the shards hold ${features.filter(Boolean).length} of ${index.n_features} features`);
const labels = ngramLabels(features, tokens);
const col = index.columns.indexOf('ngram_label');
if (col < 0) index.columns.push('ngram_label');
const at = col < 0 ? index.columns.length - 1 : col;
index.features.forEach((row, i) => (row[at] = labels[i]));
writeFileSync(join(dir, 'index.json'), JSON.stringify(index));
console.log(`${dir}/index.json: ${labels.filter(Boolean).length} n-gram labels, e.g.`);
for (const i of [0, 3, 8, 597, 1000]) if (labels[i] !== undefined) console.log(`  #${i}: ${labels[i]}   (was: ${index.features[i][0]})`);
if (process.env.SAMPLE) for (let i = 0; i < features.length; i += Number(process.env.SAMPLE)) console.log(`  #${i}: ${labels[i]}   (was: ${index.features[i][0]})`);
