// Checks that @huggingface/tokenizers loads the shipped tokenizer.json and gives the same ids
// as tools/bpe.py (cases in tests/fixtures/glassbox-mini.tokenizer.json), and that decode
// round-trips. Run from the repo root:  node tools/check_tokenizer.mjs [modelDir] [casesFile]
import { readFileSync } from "node:fs";
import { Tokenizer } from "@huggingface/tokenizers";

// Optional arguments: model dir, cases file.
const dir = process.argv[2] ?? "public/models/glassbox-mini";
const casesPath = process.argv[3] ?? "tests/fixtures/glassbox-mini.tokenizer.json";
const tok = new Tokenizer(
  JSON.parse(readFileSync(`${dir}/tokenizer.json`, "utf8")),
  JSON.parse(readFileSync(`${dir}/tokenizer_config.json`, "utf8")),
);
const { cases } = JSON.parse(readFileSync(casesPath, "utf8"));
let failures = 0;
for (const c of cases) {
  const ids = Array.from(tok.encode(c.text).ids);
  const same = ids.length === c.ids.length && ids.every((v, i) => v === c.ids[i]);
  const back = tok.decode(ids, { skip_special_tokens: false });
  const ok = same && back === c.text;
  if (!ok) failures++;
  console.log(`${ok ? "ok  " : "FAIL"} ${JSON.stringify(c.text)}`);
  if (!same) console.log(`     js ${JSON.stringify(ids)}\n     py ${JSON.stringify(c.ids)}`);
  if (back !== c.text) console.log(`     decoded ${JSON.stringify(back)}`);
}
console.log(failures ? `${failures} of ${cases.length} cases failed` : `all ${cases.length} cases passed`);
process.exit(failures ? 1 : 0);
